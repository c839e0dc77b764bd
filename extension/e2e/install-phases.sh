# Sourced by scripts/e2e.sh for E2E_SCENARIO=install, with code-server started: the first start
# (sets up the server), a restart of code-server with the same user data, the second start
# (reuses it). Sets $status.
node e2e/install.mjs --phase first --url "http://127.0.0.1:$PORT/" --model-url "$MODEL_URL" \
  --user-data "$WORK/user-data" --base-python "$SYSTEM_PYTHON" --results "$RESULTS" --chromium "$CHROMIUM" |
  tee "$WORK/run.log"
status=${PIPESTATUS[0]}
log "stop code-server, start it again with the same user data"
stop_group "$CS_PGID"
start_code_server
node e2e/install.mjs --phase second --url "http://127.0.0.1:$PORT/" --model-url "$MODEL_URL" \
  --user-data "$WORK/user-data" --base-python "$SYSTEM_PYTHON" --results "$RESULTS" --chromium "$CHROMIUM" |
  tee -a "$WORK/run.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
