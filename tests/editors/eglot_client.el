;;; eglot_client.el --- Drives Victor from a real Emacs + eglot, in batch mode  -*- lexical-binding: t; -*-
;;
;; Loads the elisp of docs/editors.md (Emacs section) and uses Victor through it: eglot's
;; server for python-mode, settings, streamed chat into *victor*, code actions, explanations.
;; Results go to $VICTOR_EMACS_OUT as JSON; tests/editors/test_emacs.py checks them.

(require 'cl-lib)
(require 'json)
(require 'subr-x)
(require 'eglot)
(require 'python)

(defvar victor-test-results (make-hash-table :test 'equal))
(defun victor-test-put (key value) (puthash key value victor-test-results))

(defun victor-test-finish ()
  (with-temp-file (getenv "VICTOR_EMACS_OUT")
    (insert (json-encode victor-test-results)))
  (kill-emacs 0))

(defun victor-test-wait (predicate seconds)
  "Let process output arrive until PREDICATE is true or SECONDS pass; PREDICATE's value."
  (let ((deadline (+ (float-time) seconds)) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

;; ---------------------------------------------------------------- the set-up of the docs

;; The elisp blocks of docs/editors.md's Emacs section, as a user would paste them: server
;; registration, settings, request timeout, the victor/explanation and $/progress handlers,
;; `victor-chat'.
(load (getenv "VICTOR_EMACS_DOCS") nil t)

;; What a test needs on top: settings it can recognise, and edits applied without asking.
(setq-default eglot-workspace-configuration '(:victor (:model "model-from-emacs")))
(setq eglot-confirm-server-initiated-edits nil)
(setq eglot-sync-connect t eglot-connect-timeout 60)

;; Record what the server logs as an error (eglot itself only keeps it in its events buffer).
(defvar victor-error-logs nil)
(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql window/logMessage)) &key type message &allow-other-keys)
  (when (eql type 1) (push message victor-error-logs)))

;; ---------------------------------------------------------------- the session

(condition-case err
    (let* ((root (file-name-as-directory (getenv "VICTOR_EMACS_ROOT")))
           (default-directory root))
      (find-file (expand-file-name "app.py" root))
      (python-mode)
      (apply #'eglot (eglot--guess-contact))
      (let ((server (eglot-current-server)))
        (victor-test-put "initialized" (and server (jsonrpc-running-p server) t))

        (victor-test-put "status"
                         (jsonrpc-request server :victor/status (make-hash-table)))

        ;; An unsaved edit: the server must see the buffer, not the file on disk.
        (erase-buffer)
        (insert "def unsaved_marker_fn():\n    return 1\n")

        ;; The documented chat command: asynchronous, :deferred (the unsaved edit goes out
        ;; first), streamed into *victor* by the $/progress handler.
        (victor-chat "hello from emacs")
        (victor-test-put
         "chat_done"
         (victor-test-wait (lambda () (and (get-buffer "*victor*")
                                           (zerop (hash-table-count victor--streams))))
                           90))
        (victor-test-put "chat_buffer"
                         (with-current-buffer "*victor*" (buffer-string)))

        ;; A code action on the first two lines, run the way eglot runs a chosen one: the
        ;; command answers at once, the edit comes back as workspace/applyEdit.
        (let* ((beg (point-min))
               (end (save-excursion (goto-char (point-min)) (line-end-position 2)))
               (actions (eglot-code-actions beg end))
               (refactor (cl-find "Victor: Refactor" actions
                                  :key (lambda (a) (plist-get a :title)) :test #'equal)))
          (victor-test-put "code_actions"
                           (vconcat (mapcar (lambda (a) (plist-get a :title)) actions)))
          (when refactor
            (let ((command (plist-get refactor :command)))
              (victor-test-put
               "command_result"
               (if (eglot-execute-command server (intern (plist-get command :command))
                                          (plist-get command :arguments))
                   "a result" "null"))
              (victor-test-put
               "applied"
               (victor-test-wait
                (lambda () (string-match-p "refactored_by_victor" (buffer-string))) 60))
              (victor-test-put "buffer_after_action" (buffer-string)))))

        ;; Explain: the explanation reaches *victor* through the victor/explanation handler.
        (let* ((actions (eglot-code-actions (point-min) (point-max)))
               (explain (cl-find "Victor: Explain" actions
                                 :key (lambda (a) (plist-get a :title)) :test #'equal))
               (command (plist-get explain :command)))
          (eglot-execute-command server (intern (plist-get command :command))
                                 (plist-get command :arguments))
          (victor-test-put
           "explained"
           (victor-test-wait (lambda () (with-current-buffer "*victor*"
                                          (string-match-p "## Explanation of app.py"
                                                          (buffer-string))))
                             60))
          (victor-test-put "victor_buffer" (with-current-buffer "*victor*" (buffer-string))))

        ;; Bad params: a clear JSON-RPC error naming the field.
        (condition-case bad
            (progn (jsonrpc-request server :victor/chat (list :message 42))
                   (victor-test-put "bad_params" "no error"))
          (jsonrpc-error
           (victor-test-put "bad_params"
                            (list :code (alist-get 'jsonrpc-error-code (cdr bad))
                                  :message (alist-get 'jsonrpc-error-message (cdr bad))))))

        ;; What eglot sends whatever the capabilities say: answered without an error log.
        (condition-case symbols
            (jsonrpc-request server :textDocument/documentSymbol
                             (list :textDocument (eglot--TextDocumentIdentifier)))
          (jsonrpc-error
           (victor-test-put "document_symbol_error"
                            (alist-get 'jsonrpc-error-code (cdr symbols)))))
        (save-buffer)                   ; didSave
        ;; Then something the server does log (a cancel for an id it never saw): once that is
        ;; in the stderr buffer, anything logged about the messages before it is there too.
        (jsonrpc-notify server :$/cancelRequest (list :id "emacs-marker"))
        (let ((stderr (jsonrpc-stderr-buffer server)))
          (victor-test-wait
           (lambda () (with-current-buffer stderr
                        (string-match-p "emacs-marker" (buffer-string))))
           20)
          (victor-test-put "server_stderr" (with-current-buffer stderr (buffer-string))))
        (victor-test-put "error_logs" (vconcat victor-error-logs))
        (eglot-shutdown server)))
  (error (victor-test-put "lisp_error" (format "%S" err))))

(victor-test-finish)
;;; eglot_client.el ends here
