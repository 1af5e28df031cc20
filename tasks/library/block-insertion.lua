-- Ravens block-insertion: put the L-shaped block into the L-shaped fixture (full yaw must match).
task = {
  name = "block-insertion",
  description = "Pick up the red L-shaped block and insert it into the L-shaped fixture.",
  max_steps = 3,
}

function reset(env)
  local footprint = {0.1, 0.1, 0.04}
  local block = env.add_object("ell", env.random_pose(footprint))
  local fixture_pose = env.random_pose({0.1, 0.1, env.asset_size("fixture")[3]})
  env.add_object("fixture", fixture_pose, {fixed = true})
  env.add_goal{
    objects = {block},
    targets = {fixture_pose},
    symmetries = {2 * math.pi},
    language = "insert the L-shaped block into the fixture",
  }
end
