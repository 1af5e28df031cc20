-- Ravens manipulating-rope: lay a 20-bead rope along the open side of a three-sided square, from
-- one corner to the other (either end of the rope may go to either corner).
task = {
  name = "manipulating-rope",
  description = "Straighten the rope so that it closes the open side of the square.",
  max_steps = 20,
  -- PyBullet's default 240 Hz and 10 solver iterations: about 2x faster, oracle success held (20/20)
  physics_hz = 240,
  solver_iterations = 10,
  pos_eps = 0.02,
  primitive = {height = 0.02, speed = 0.48},  -- Ravens PickPlace(height=0.02, speed=0.001 rad/step)
}

function reset(env)
  local length = util.ROPE_LENGTH
  local square_pose = env.random_pose({length, length, 0.001})
  env.add_object("square3", square_pose, {fixed = true, params = {size = length}})
  -- square3 leaves its +x side open: the rope spans that side's two corners.
  local a = env.apply(square_pose, {length / 2, length / 2, 0})
  local b = env.apply(square_pose, {length / 2, -length / 2, 0})
  util.add_rope_goal(env, a, b, "straighten the rope across the open side of the square")
end
