-- CLIPort towers-of-hanoi-seq: the seven Hanoi moves, each an instruction naming the ring by its
-- colour and the peg by its place on the stand.
task = {
  name = "towers-of-hanoi-seq",
  description = "Move the coloured rings between the pegs as instructed, one at a time.",
  variants = {"seen-colors", "unseen-colors", "full"},
  max_steps = 14,
}

PEG_NAMES = {"the lighter brown side", "the middle of the stand", "the darker brown side"}

function reset(env)
  local colors = env.shuffle(env.colors())
  local _, pegs, disks = util.add_hanoi(env, {colors[1], colors[2], colors[3]})
  util.add_hanoi_goals(env, disks, pegs, util.hanoi_moves(3, 1, 3, 2), function(move)
    return "move the " .. colors[move[1]] .. " ring to " .. PEG_NAMES[move[3]]
  end)
end
