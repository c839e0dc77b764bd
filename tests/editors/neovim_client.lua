-- Drives Victor from a real Neovim (0.7+), headless. Results go to $VICTOR_NVIM_OUT as JSON.
local out_path = os.getenv('VICTOR_NVIM_OUT')
local root = os.getenv('VICTOR_NVIM_ROOT')
local python = os.getenv('VICTOR_PYTHON')
local results = {}

local function finish()
  local f = io.open(out_path, 'w')
  f:write(vim.fn.json_encode(results))
  f:close()
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. root .. '/app.py')
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local client_id = vim.lsp.start_client({
    name = 'victor',
    cmd = { python, '-m', 'victor' },
    root_dir = root,
    settings = { victor = { model = 'model-from-neovim' } },
    -- Neovim 0.7 neither answers workspace/configuration nor pushes settings by itself.
    on_init = function(c)
      c.notify('workspace/didChangeConfiguration', { settings = c.config.settings })
    end,
  })
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client
  vim.wait(20000, function()
    client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.server_capabilities ~= nil
  end, 50)
  results.initialized = client ~= nil and client.server_capabilities ~= nil

  local status, status_failure = client.request_sync('victor/status', {}, 20000, bufnr)
  results.status = status and status.result
  results.status_err = (status and status.err) or status_failure

  -- An unsaved edit: the server must see the buffer, not the file on disk.
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { 'def unsaved_marker_fn():', '    return 1' })
  vim.wait(800)

  local chat = client.request_sync('victor/chat', {
    message = 'hello from neovim',
    textDocument = { uri = uri },
  }, 30000, bufnr)
  results.chat = chat and chat.result
  results.chat_err = chat and chat.err

  local actions = client.request_sync('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = { start = { line = 0, character = 0 }, ['end'] = { line = 1, character = 12 } },
    context = { diagnostics = {} },
  }, 20000, bufnr)
  results.code_actions = {}
  for _, action in ipairs((actions and actions.result) or {}) do
    table.insert(results.code_actions, action.title)
  end

  local bad = client.request_sync('victor/chat', { message = 42 }, 20000, bufnr)
  results.bad_params = bad and bad.err
  client.stop()
end)
if not ok then results.lua_error = tostring(err) end
finish()
