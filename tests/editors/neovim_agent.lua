-- An agent-mode turn from a real Neovim (0.7+), headless: the edit reaches the buffer through
-- Neovim's own workspace/applyEdit handler. Results go to $VICTOR_NVIM_OUT as JSON.
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
  })
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client
  vim.wait(20000, function()
    client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.server_capabilities ~= nil
  end, 50)
  results.initialized = client ~= nil and client.server_capabilities ~= nil

  -- Unsaved text: the agent edits what the buffer shows, not the file on disk.
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { 'def unsaved():', '    return 0' })
  vim.wait(800)

  local done, answer = false, nil
  client.request('victor/chat', {
    message = 'make it 42 and add new.py',
    textDocument = { uri = uri },
    mode = 'agent',
  }, function(e, result)
    answer = { err = e, result = result }
    done = true
  end, bufnr)
  vim.wait(60000, function() return done end, 50)
  results.chat = answer and answer.result
  results.chat_err = answer and answer.err
  results.buffer = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local new_buf = vim.fn.bufnr(root .. '/new.py')
  if new_buf ~= -1 then
    vim.fn.bufload(new_buf)
    results.new_buffer = vim.api.nvim_buf_get_lines(new_buf, 0, -1, false)
  end
  client.stop()
end)
if not ok then results.lua_error = tostring(err) end
finish()
