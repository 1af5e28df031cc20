-- Ravens towers-of-hanoi: move the three-disk tower from the first peg to the third, one disk at a
-- time (the seven moves of the optimal solution, each worth 1/7).
task = {
  name = "towers-of-hanoi",
  description = "Move the tower of three disks from one peg to another, one disk at a time.",
  max_steps = 14,
}

function reset(env)
  local _, pegs, disks = util.add_hanoi(env, {"red", "green", "blue"})
  local moves = util.hanoi_moves(3, 1, 3, 2)
  for _, move in ipairs(moves) do
    env.add_goal{
      objects = {disks[move[1]]},
      targets = {{pos = pegs[move[3]], yaw = 0}},
      symmetries = 0,
      reward = 1 / #moves,
      language = "move the disk to peg " .. move[3],
    }
  end
end
