-- Headless test of the Neovim module with no configuration at all: a workspace holds a Falco
-- rules file and the user's `custom.yaml` (a rules file by content, not by name) whose condition
-- uses a macro of that file (not one of the stdlib) and misspells a field. The unknown field
-- must be reported, and the macro must resolve from the workspace (no `undefined macro`). Run
-- from the repository root:
--   RULEC_BIN=target/debug/rulec nvim --headless -u editors/neovim/test/minimal_init.lua
-- Exits 0 when the expected diagnostic arrives, 1 otherwise.

local this = debug.getinfo(1, 'S').source:sub(2)
local plugin_root = vim.fn.fnamemodify(this, ':p:h:h')
vim.opt.runtimepath:prepend(plugin_root)
vim.opt.swapfile = false

local function finish(ok, message)
  io.stderr:write((ok and 'OK: ' or 'FAIL: ') .. message .. '\n')
  vim.cmd(ok and 'qall!' or 'cquit 1')
end

local bin = os.getenv('RULEC_BIN') or 'rulec'
require('rulec').setup({ cmd = { bin, 'lsp' } })

local dir = vim.fn.tempname()
vim.fn.mkdir(dir, 'p')
local function write(name, text)
  local file = io.open(dir .. '/' .. name, 'w')
  file:write(text)
  file:close()
end
write('falco_rules.yaml', '- macro: team_spawned_process\n  condition: evt.type = execve\n')
write('custom.yaml', '- macro: shell_procs\n  condition: team_spawned_process and proc.nmae = bash\n')
local path = dir .. '/custom.yaml'

vim.schedule(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  if vim.bo.filetype ~= 'yaml.falco' then
    return finish(false, 'filetype is "' .. vim.bo.filetype .. '", expected yaml.falco')
  end
  local function wanted()
    for _, d in ipairs(vim.diagnostic.get(0)) do
      if d.message:find('unknown field `proc.nmae`', 1, true) and d.lnum == 1 then
        return d
      end
    end
  end
  local d
  vim.wait(30000, function()
    d = wanted()
    return d ~= nil
  end, 50)
  for _, x in ipairs(vim.diagnostic.get(0)) do
    if x.message:find('undefined macro', 1, true) then
      return finish(false, 'the workspace macro did not resolve: ' .. x.message)
    end
  end
  if not d then
    local seen = {}
    for _, x in ipairs(vim.diagnostic.get(0)) do
      table.insert(seen, x.lnum .. ': ' .. x.message)
    end
    return finish(false, 'no `unknown field` diagnostic within 30 s; got: ' .. table.concat(seen, ' | '))
  end
  local v = vim.version()
  finish(true, string.format('diagnostic received on Neovim %d.%d.%d: %s', v.major, v.minor, v.patch, d.message:gsub('\n.*', '')))
end)
