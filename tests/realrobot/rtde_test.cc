// RTDE packing and negotiation: the codec byte for byte, and the handshake against the twin
// over real loopback sockets.
#include <catch2/catch.hpp>

#include "realrobot/twin_fixture.h"
#include "taskforge/realrobot/rtde.h"
#include "taskforge/realrobot/tcp.h"
#include "rtde_client.h"

#include <thread>

using namespace taskforge;
using namespace taskforge::realrobot;

namespace {

rtde::Package Request(Socket& socket, rtde::PackageType type, const std::vector<uint8_t>& payload) {
  socket.SendAll(rtde::Frame(type, payload));
  std::optional<rtde::Package> reply = rtde::ReadPackage(socket, 5.0);
  REQUIRE(reply);
  REQUIRE(reply->type == type);
  return *reply;
}

}  // namespace

TEST_CASE("RTDE packs big-endian as the guide specifies", "[realrobot][rtde]") {
  const std::vector<uint8_t> bytes = rtde::Writer().U16(0x0102).I32(-2).F64(1.0).Take();
  const std::vector<uint8_t> expected = {0x01, 0x02, 0xff, 0xff, 0xff, 0xfe, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0};
  CHECK(bytes == expected);
  const std::vector<uint8_t> framed = rtde::Frame(rtde::PackageType::kStart, {});
  CHECK(framed == std::vector<uint8_t>{0x00, 0x03, 'S'});

  rtde::Recipe recipe;
  recipe.id = 7;
  recipe.names = {"timestamp", "actual_q", "robot_mode", "actual_digital_input_bits", "standard_digital_output"};
  for (const std::string& name : recipe.names) {
    recipe.types.push_back(rtde::OutputFieldType(name) ? *rtde::OutputFieldType(name) : *rtde::InputFieldType(name));
  }
  CHECK(rtde::TypeName(recipe.types[1]) == std::string("VECTOR6D"));
  CHECK(rtde::TypeName(recipe.types[3]) == std::string("UINT64"));
  const std::vector<rtde::Value> values = {rtde::Value::Scalar(12.5), rtde::Value{{1, -2, 3, -4, 5, -6}},
                                           rtde::Value::Scalar(7), rtde::Value::Scalar(double(1ull << 40)),
                                           rtde::Value::Scalar(5)};
  const std::vector<uint8_t> payload = rtde::EncodeData(recipe, values);
  CHECK(payload.size() == 1 + 8 + 48 + 4 + 8 + 1);
  const std::vector<rtde::Value> back = rtde::DecodeData(recipe, payload);
  for (size_t i = 0; i < values.size(); ++i) CHECK(back[i].v == values[i].v);

  std::vector<uint8_t> short_payload(payload.begin(), payload.end() - 1);
  CHECK_THROWS_AS(rtde::DecodeData(recipe, short_payload), rtde::ProtocolError);
  std::vector<uint8_t> wrong_id = payload;
  wrong_id[0] = 8;
  CHECK_THROWS_WITH(rtde::DecodeData(recipe, wrong_id), Catch::Contains("recipe 8, expected recipe 7"));
  CHECK(!rtde::OutputFieldType("output_int_register_48"));
  CHECK(rtde::InputFieldType("input_double_register_31") == rtde::FieldType::kDouble);
}

TEST_CASE("RTDE handshake against the twin over loopback", "[realrobot][rtde][twin]") {
  twin::RobotTwin twin(testing::TestTwinConfig());
  Socket socket = Socket::Connect("127.0.0.1", twin.ports().rtde);
  using rtde::PackageType;

  CHECK(Request(socket, PackageType::kRequestProtocolVersion, rtde::Writer().U16(3).Take()).payload ==
        std::vector<uint8_t>{0});
  CHECK(Request(socket, PackageType::kRequestProtocolVersion, rtde::Writer().U16(2).Take()).payload ==
        std::vector<uint8_t>{1});
  {
    const rtde::Package version = Request(socket, PackageType::kGetUrControlVersion, {});
    rtde::Reader r(version.payload, "version");
    CHECK(r.U32() == 5);
    CHECK(r.U32() == 11);
  }
  {  // an unknown field fails the recipe; a frequency above 500 Hz too
    const rtde::Package reply = Request(socket, PackageType::kSetupOutputs,
                                        rtde::Writer().F64(125).Bytes("actual_q,no_such_field").Take());
    rtde::Reader r(reply.payload, "setup");
    CHECK(r.U8() == 0);
    CHECK(r.Rest() == "VECTOR6D,NOT_FOUND");
    const rtde::Package too_fast =
        Request(socket, PackageType::kSetupOutputs, rtde::Writer().F64(1000).Bytes("actual_q").Take());
    CHECK(too_fast.payload.at(0) == 0);
  }
  rtde::Recipe outputs;
  {
    const rtde::Package reply =
        Request(socket, PackageType::kSetupOutputs, rtde::Writer().F64(125).Bytes("timestamp,actual_q,robot_mode").Take());
    rtde::Reader r(reply.payload, "setup");
    outputs.id = r.U8();
    CHECK(outputs.id != 0);
    CHECK(r.Rest() == "DOUBLE,VECTOR6D,INT32");
    outputs.names = {"timestamp", "actual_q", "robot_mode"};
    outputs.types = {rtde::FieldType::kDouble, rtde::FieldType::kVector6d, rtde::FieldType::kInt32};
  }
  {  // inputs are owned by one client: a second one gets IN_USE
    const rtde::Package reply = Request(socket, PackageType::kSetupInputs, rtde::Writer().Bytes("input_int_register_30").Take());
    CHECK(reply.payload[0] != 0);
    Socket other = Socket::Connect("127.0.0.1", twin.ports().rtde);
    other.SendAll(rtde::Frame(PackageType::kSetupInputs, rtde::Writer().Bytes("input_int_register_30").Take()));
    const std::optional<rtde::Package> refused = rtde::ReadPackage(other, 5.0);
    REQUIRE(refused);
    rtde::Reader r(refused->payload, "setup");
    CHECK(r.U8() == 0);
    CHECK(r.Rest() == "IN_USE");
  }
  CHECK(Request(socket, PackageType::kStart, {}).payload == std::vector<uint8_t>{1});
  std::optional<rtde::Package> data;
  do {
    data = rtde::ReadPackage(socket, 5.0);
    REQUIRE(data);
  } while (data->type != PackageType::kDataPackage);
  const std::vector<rtde::Value> state = rtde::DecodeData(outputs, data->payload);
  CHECK(state[2][0] == 3);  // robot_mode POWER_OFF: the twin starts unpowered
  INFO("actual_q " << state[1][0] << " " << state[1][1] << " " << state[1][2]);
  CHECK(std::abs(state[1][0] - (-M_PI)) < 0.05);  // Ravens' home: base at -pi, shoulder at -pi/2
  CHECK(std::abs(state[1][1] - (-M_PI / 2)) < 0.05);
}

TEST_CASE("the twin answers a malformed RTDE package with a message and a closed connection",
          "[realrobot][rtde][twin]") {
  twin::RobotTwin twin(testing::TestTwinConfig());
  {
    Socket socket = Socket::Connect("127.0.0.1", twin.ports().rtde);
    socket.SendAll(std::vector<uint8_t>{0x00, 0x02, 'V'});  // size below the 3-byte header
    const std::optional<rtde::Package> reply = rtde::ReadPackage(socket, 5.0);
    REQUIRE(reply);
    CHECK(reply->type == rtde::PackageType::kTextMessage);
    CHECK_THAT(rtde::DecodeTextMessage(reply->payload), Catch::Contains("declared size 2"));
    uint8_t byte = 0;
    CHECK_THROWS_WITH(socket.ReadExact(&byte, 1, 5.0), Catch::Contains("closed by the peer"));
  }
  {  // a data package that doesn't match the input recipe
    Socket socket = Socket::Connect("127.0.0.1", twin.ports().rtde);
    socket.SendAll(rtde::Frame(rtde::PackageType::kSetupInputs, rtde::Writer().Bytes("input_int_register_30").Take()));
    REQUIRE(rtde::ReadPackage(socket, 5.0));
    socket.SendAll(rtde::Frame(rtde::PackageType::kDataPackage, {1, 0, 0}));
    const std::optional<rtde::Package> reply = rtde::ReadPackage(socket, 5.0);
    REQUIRE(reply);
    CHECK_THAT(rtde::DecodeTextMessage(reply->payload), Catch::Contains("needs 5 bytes"));
  }
  CHECK(twin.counters().refused_packages == 2);
  // The twin still serves: a driver connects and the arm answers.
  UrRobot robot(testing::DriverConfigFor(twin));
  CHECK(robot.status().connected);
}

TEST_CASE("the driver names the host and port it cannot reach", "[realrobot]") {
  Listener closed("127.0.0.1", 0);
  const int port = closed.port();
  realrobot::UrConfig config;
  config.host = "127.0.0.1";
  config.dashboard_port = port;
  config.connect_timeout_s = 0.5;
  // Nobody accepts on the listener, but the kernel completes the handshake; the banner never comes.
  CHECK_THROWS_WITH(UrRobot(config), Catch::Contains("127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("a CB3 controller streams at 125 Hz, an e-Series at 500 Hz", "[realrobot][rtde][twin]") {
  twin::TwinConfig config = testing::TestTwinConfig();
  config.controller_version = {3, 15, 7, 0};
  config.start_powered = true;
  twin::RobotTwin cb3(config);
  UrRobot robot(testing::DriverConfigFor(cb3));
  CHECK(robot.status().frequency_hz == 125.0);
  CHECK(robot.status().controller_version == "3.15.7.0");
  CHECK(robot.status().runtime_state == 2);  // the control program is playing
}

TEST_CASE("the driver drops a controller that sends a malformed data package", "[realrobot][rtde][fault]") {
  // A peer that completes the handshake correctly and then sends a data package one byte short.
  Listener listener("127.0.0.1", 0);
  std::thread controller([&] {  // no Catch assertions off the main thread: a failure shows in the client
    std::optional<Socket> peer = listener.Accept(10.0);
    if (!peer) return;
    using rtde::PackageType;
    for (;;) {
      const std::optional<rtde::Package> request = rtde::ReadPackage(*peer, 10.0);
      if (!request) return;
      rtde::Writer reply;
      switch (request->type) {
        case PackageType::kRequestProtocolVersion: reply.U8(1); break;
        case PackageType::kGetUrControlVersion: reply.U32(5).U32(9).U32(0).U32(0); break;
        case PackageType::kSetupOutputs: reply.U8(1).Bytes("INT32"); break;
        case PackageType::kSetupInputs: reply.U8(2).Bytes("INT32"); break;
        default: reply.U8(1); break;
      }
      peer->SendAll(rtde::Frame(request->type, reply.Take()));
      if (request->type == PackageType::kStart) break;
    }
    peer->SendAll(rtde::Frame(rtde::PackageType::kDataPackage, {1, 0, 0, 7}));  // INT32 needs 4 bytes
    uint8_t byte = 0;
    try {
      peer->ReadExact(&byte, 1, 10.0);  // until the driver hangs up
      for (;;) peer->ReadExact(&byte, 1, 10.0);
    } catch (const Error&) {
    }
  });
  RtdeClient client("127.0.0.1", listener.port(), 5.0, 0.0, {"output_int_register_24"}, {"input_int_register_26"},
                    "input_int_register_26", 5.0);
  CHECK(client.WaitForState(0, 5.0) == 0);
  CHECK_THAT(client.error(), Catch::Contains("malformed RTDE data package") && Catch::Contains("needs 5 bytes"));
  client.Close();
  controller.join();
}
