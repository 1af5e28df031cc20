-- Ravens sweeping-piles: push a pile of 50 small blocks into the green zone with the spatula.
task = {
  name = "sweeping-piles",
  description = "Push the pile of small blocks into the green zone.",
  max_steps = 20,
  end_effector = "spatula",
  -- Cheaper physics for the 50-block pile, oracle success held (20/20): PyBullet's default 240 Hz,
  -- 10 solver iterations, and pushes at 0.72 rad/s (Ravens 1.44 slides blocks out of the zone).
  physics_hz = 240,
  solver_iterations = 10,
  primitive = {speed = 0.72},
}

function reset(env)
  local zone_pose = env.random_pose({0.12, 0.12, 0.001})
  env.add_object("zone", zone_pose, {fixed = true, params = {size_x = 0.12, size_y = 0.12}})
  local blocks = util.add_pile(env, {0.4, -0.1}, 50)
  env.add_goal{
    objects = blocks,
    metric = "zone",
    zone = {pose = zone_pose, size = {0.12, 0.12}},
    replace = true,
    rotations = false,
    language = "push the pile of blocks into the green square",
  }
end
