-- rulec for Neovim: filetype detection for Falco rules files and the `rulec lsp` language server.
--
--   require('rulec').setup({
--     cmd = { 'rulec', 'lsp' },                 -- the server command
--     rules_files = { 'falco_rules.yaml' },      -- loaded before the open file, in order
--     patterns = { '.*rules.*%.ya?ml' },         -- Lua patterns of file paths that are rules files
--   })
--
-- Neovim 0.11+ uses vim.lsp.config/vim.lsp.enable; 0.8-0.10 start the client with vim.lsp.start
-- from a FileType autocmd; 0.7 with vim.lsp.start_client and vim.lsp.buf_attach_client.

local M = {}

-- Rules files are YAML: the compound filetype keeps YAML highlighting and indentation.
M.filetype = 'yaml.falco'

M.defaults = {
  cmd = { 'rulec', 'lsp' },
  rules_files = {},
  patterns = { '.*rules.*%.ya?ml' },
  root_markers = { '.git' },
}

local function detect(opts)
  if vim.filetype and vim.filetype.add and vim.fn.has('nvim-0.8') == 1 then
    local pattern = {}
    for _, p in ipairs(opts.patterns) do
      pattern[p] = M.filetype
    end
    vim.filetype.add({ pattern = pattern })
  else
    -- Older versions: plain autocommands on file names.
    vim.cmd([[
      augroup rulec_filetype
        autocmd!
        autocmd BufRead,BufNewFile *rules*.yaml,*rules*.yml set filetype=yaml.falco
      augroup END
    ]])
  end
end

local function root_dir(bufname, markers)
  local dir = vim.fn.fnamemodify(bufname, ':p:h')
  for _, marker in ipairs(markers) do
    local found = vim.fn.finddir(marker, dir .. ';')
    if found == '' then
      found = vim.fn.findfile(marker, dir .. ';')
    end
    if found ~= '' then
      return vim.fn.fnamemodify(found, ':p:h:h')
    end
  end
  return dir
end

local function client_config(opts, bufname)
  return {
    name = 'rulec',
    cmd = opts.cmd,
    root_dir = root_dir(bufname, opts.root_markers),
    init_options = { rulesFiles = opts.rules_files },
    settings = { rulec = { rulesFiles = opts.rules_files } },
  }
end

local client_id = nil

-- The server's "Run tests" code lens carries `rulec.runTests` with the rule's name: run the
-- golden tests that name the rule in a terminal split.
local function register_commands(opts)
  if not vim.lsp.commands then
    return
  end
  vim.lsp.commands['rulec.runTests'] = function(command)
    local rule = (command.arguments or {})[1] or ''
    local escaped = rule:gsub('[%.%*%+%?%^%$%(%)%[%]%{%}|\\]', '\\%0')
    local bin = opts.cmd[1] or 'rulec'
    vim.cmd('botright split')
    vim.fn.termopen({ bin, 'test', '--filter', '^' .. escaped .. '$' })
  end
end

function M.setup(user)
  local opts = vim.tbl_deep_extend('force', {}, M.defaults, user or {})
  M.options = opts
  detect(opts)
  register_commands(opts)

  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config('rulec', {
      cmd = opts.cmd,
      filetypes = { M.filetype },
      root_markers = opts.root_markers,
      init_options = { rulesFiles = opts.rules_files },
      settings = { rulec = { rulesFiles = opts.rules_files } },
    })
    vim.lsp.enable('rulec')
    return
  end

  local group = vim.api.nvim_create_augroup('rulec_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.filetype,
    callback = function(args)
      local bufname = vim.api.nvim_buf_get_name(args.buf)
      local config = client_config(opts, bufname)
      if vim.lsp.start then
        vim.lsp.start(config, { bufnr = args.buf })
        return
      end
      -- Neovim 0.7: one client for every rules buffer.
      if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
        client_id = vim.lsp.start_client(config)
      end
      if client_id then
        vim.lsp.buf_attach_client(args.buf, client_id)
      end
    end,
  })
end

return M
