// Drives `zerogo gtp` through @sabaki/gtp, the GTP library inside Sabaki, the way Sabaki does.
// Usage: node sabaki_client.js PYTHON REPO_DIR
// Prints one JSON object with what it saw; exits 1 (with the error) when a check fails.
const assert = require('assert')
const {Controller, ControllerStateTracker} = require('@sabaki/gtp')

const [python, repo] = process.argv.slice(2)
const engineArgs = ['-c', 'from gtp.cli import main; main()', 'gtp', '--network', 'none',
  '--player', 'tests.fake_gtp_player:make_streaming']

// Sabaki's parser for analysis lines: blocks split on "info", key/value pairs, pv last.
function parseAnalysis(line) {
  return line.split(/\s*info\s+/).slice(1).map(block => {
    const words = block.trim().split(/\s+/)
    const out = {}
    for (let i = 0; i < words.length; i += 2) {
      if (words[i] === 'pv') { out.pv = words.slice(i + 1); break }
      if (words[i] === 'ownership') { out.ownership = words.slice(i + 1).map(Number); break }
      out[words[i]] = words[i + 1]
    }
    return out
  })
}

async function analyze(controller, name, color) {
  // Start a stream, take two info lines, then interrupt as Sabaki does (protocol_version).
  const infos = []
  let interrupt
  const gotTwo = new Promise(resolve => { interrupt = resolve })
  const stream = controller.sendCommand({name, args: [color, '5']}, ({line}) => {
    if (line.startsWith('info ')) {
      infos.push(parseAnalysis(line))
      if (infos.length === 2) interrupt()
    }
  })
  await gotTwo
  const pv = controller.sendCommand({name: 'protocol_version'})
  const [streamResponse, pvResponse] = await Promise.all([stream, pv])
  assert.strictEqual(streamResponse.error, false)
  assert.strictEqual(pvResponse.content, '2')
  return infos
}

async function main() {
  const controller = new Controller(python, engineArgs, {cwd: repo})
  const tracker = new ControllerStateTracker(controller)
  const stderr = []
  controller.on('stderr', ({content}) => stderr.push(content))
  controller.start()
  const result = {}
  for (const name of ['name', 'version', 'protocol_version']) {
    result[name] = (await controller.sendCommand({name})).content
  }
  assert.ok(await tracker.knowsCommand('undo'))
  assert.ok(await tracker.knowsCommand('kata-analyze'))

  // A handicap game with a pass, then a changed history that needs undo.
  const base = [
    {name: 'set_free_handicap', args: ['C3', 'G7']},
    {name: 'play', args: ['W', 'E5']},
    {name: 'play', args: ['B', 'D4']},
    {name: 'play', args: ['W', 'pass']},
    {name: 'play', args: ['B', 'C5']}
  ]
  await tracker.sync({komi: 0.5, boardsize: [9, 9], history: base})
  result.afterSync = (await controller.sendCommand({name: 'list_stones', args: ['black']})).content
  const sent = []
  controller.on('command-sent', ({command}) => sent.push(command.name))
  await tracker.sync({komi: 0.5, boardsize: [9, 9], history: [...base.slice(0, 4), {name: 'play', args: ['B', 'D6']}]})
  result.syncCommands = sent.slice()
  result.afterUndo = (await controller.sendCommand({name: 'list_stones', args: ['black']})).content

  // Sabaki's move request: the genmove_analyze variant, ending with "play <vertex>".
  let played = null
  await tracker.queueCommand({name: 'kata-genmove_analyze', args: ['W', '50']}, ({line}) => {
    const m = line.match(/^play\s+(.*)$/)
    if (m) played = m[1]
  })
  result.genmove = played
  result.history = tracker.state.history.map(c => `${c.name} ${c.args.join(' ')}`)
  result.plainGenmove = (await controller.sendCommand({name: 'genmove', args: ['B']})).content

  result.kata = await analyze(controller, 'kata-analyze', 'W')
  result.lz = await analyze(controller, 'lz-analyze', 'W')
  result.afterStreams = (await controller.sendCommand({name: 'name'})).content
  await controller.stop()
  result.stderrLines = stderr.length
  console.log(JSON.stringify(result))
}

main().catch(err => {
  console.error(err && err.stack ? err.stack : err)
  process.exit(1)
})
