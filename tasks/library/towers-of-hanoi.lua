-- Ravens towers-of-hanoi: move the three-disk tower from the first peg to the third, one disk at a
-- time (the seven moves of the optimal solution, each worth 1/7).
task = {
  name = "towers-of-hanoi",
  description = "Move the tower of three disks from one peg to another, one disk at a time.",
  max_steps = 14,
  -- PyBullet's default 240 Hz and 10 solver iterations: about 2x faster, oracle success held (20/20)
  physics_hz = 240,
  solver_iterations = 10,
}

function reset(env)
  local _, pegs, disks = util.add_hanoi(env, {"red", "green", "blue"})
  util.add_hanoi_goals(env, disks, pegs, util.hanoi_moves(3, 1, 3, 2),
                       function(move) return "move the disk to peg " .. move[3] end)
end
