-- rulec for Neovim: filetype detection for Falco rules files and the `rulec lsp` language server.
--
--   require('rulec').setup()                    -- zero configuration
--   require('rulec').setup({
--     cmd = { 'rulec', 'lsp' },                 -- the server command
--     rules_files = { 'falco_rules.yaml' },      -- an override of the load order the server finds
--     root_markers = { 'rulec.yaml', 'falco.yaml', '.git' },
--   })
--
-- A YAML file is a rules file by its content (a top-level `- rule:`, `- macro:`, `- list:` or
-- `- required_engine_version:` item), whatever its name; `rulec.yaml` and `*.tests.yaml` files
-- get the server too (their keys are checked and completed). With no `rules_files`, the server
-- works out the load order itself from the root's rulec.yaml, else its falco.yaml, else the
-- workspace's files that define the macros and lists the open file uses.
--
-- Neovim 0.11+ uses vim.lsp.config/vim.lsp.enable; 0.8-0.10 start the client with vim.lsp.start
-- from a FileType autocmd; 0.7 with vim.lsp.start_client and vim.lsp.buf_attach_client.

local M = {}

-- Rules files are YAML: the compound filetype keeps YAML highlighting and indentation.
M.filetype = 'yaml.falco'

M.defaults = {
  cmd = { 'rulec', 'lsp' },
  rules_files = {},
  -- Lua patterns of file paths that are rules files even before they hold an item.
  patterns = { '.*rules.*%.ya?ml' },
  root_markers = { 'rulec.yaml', 'falco.yaml', '.git' },
}

-- The keys that make a top-level sequence item a rules-file item (as the server decides).
local item_keys = { 'rule', 'macro', 'list', 'required_engine_version', 'required_plugin_versions' }

-- Whether the buffer is a file the server serves: a rules file by content, rulec.yaml or a
-- test file by name, or an empty file whose name matches one of `patterns`.
function M.is_rulec_buffer(bufnr, path, patterns)
  local name = vim.fn.fnamemodify(path, ':t')
  if name == 'rulec.yaml' or name == 'rulec.yml' or name:match('%.tests%.ya?ml$') then
    return true
  end
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, 500, false)
  local blank = true
  for _, line in ipairs(lines) do
    if line:match('^%[') then
      return true
    end
    for _, key in ipairs(item_keys) do
      if line:match('^%-%s+' .. key .. '%s*:') then
        return true
      end
    end
    if not (line:match('^%s*$') or line:match('^%s*#')) then
      blank = false
    end
  end
  if blank then
    for _, p in ipairs(patterns or M.defaults.patterns) do
      if path:match(p) then
        return true
      end
    end
  end
  return false
end

local function detect(opts)
  if vim.filetype and vim.filetype.add and vim.fn.has('nvim-0.8') == 1 then
    local function by_content(path, bufnr)
      if M.is_rulec_buffer(bufnr, path, opts.patterns) then
        return M.filetype
      end
    end
    vim.filetype.add({ pattern = { ['.*%.ya?ml'] = { by_content, { priority = 10 } } } })
  else
    -- Older versions: an autocommand on every YAML file that looks at its content.
    local group = vim.api.nvim_create_augroup('rulec_filetype', { clear = true })
    vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
      group = group,
      pattern = { '*.yaml', '*.yml' },
      callback = function(args)
        if M.is_rulec_buffer(args.buf, vim.api.nvim_buf_get_name(args.buf), opts.patterns) then
          vim.bo[args.buf].filetype = M.filetype
        end
      end,
    })
  end
end

local function root_dir(bufname, markers)
  local dir = vim.fn.fnamemodify(bufname, ':p:h')
  for _, marker in ipairs(markers) do
    -- A file marker's folder, or a folder marker's parent (`:p` ends a folder with `/`).
    local found = vim.fn.findfile(marker, dir .. ';')
    if found ~= '' then
      return vim.fn.fnamemodify(found, ':p:h')
    end
    found = vim.fn.finddir(marker, dir .. ';')
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

-- The marker search above finds the nearest rulec.yaml, else falco.yaml, else .git: the folder
-- that holds it is the workspace the server indexes.

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
