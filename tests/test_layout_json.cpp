// Layout JSON: round trips and one clear error per malformed document.
#include <gtest/gtest.h>

#include "relpos/errors.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/io/layout_json.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

TEST(LayoutJson, EveryBuiltinRoundTrips) {
  for (const auto& info : builtin_layouts()) {
    const std::string name = info.name == "large_complex_<N>" ? "large_complex_100" : info.name;
    const Layout layout = builtin_layout(name);
    const Layout back = parse_layout_json(layout_to_json(layout), name);
    EXPECT_TRUE(back == layout) << name;
    EXPECT_EQ(back.batched, layout.batched) << name;
  }
}

TEST(LayoutJson, ReadsUnbatchedAndBatchedArraysAndIgnoresDescription) {
  const Layout single = parse_layout_json(
      R"({"description": "two tokens", "asym_id": [0, 1], "residue_index": [5, -3], "entity_id": [0, 0],
          "sym_id": [0, 1], "token_index": [2147483648, 9]})",
      "inline");
  EXPECT_FALSE(single.batched);
  EXPECT_EQ(single.tokens(), 2);
  EXPECT_EQ(single.residue_index(0, 1), -3);
  EXPECT_EQ(single.token_index(0, 0), 2147483648LL);
  const Layout batch = parse_layout_json(
      R"({"asym_id": [[0, 0], [1, 1]], "residue_index": [[1, 2], [1, 2]], "entity_id": [[0, 0], [0, 0]],
          "sym_id": [[0, 0], [0, 0]], "token_index": [[0, 1], [0, 1]]})",
      "inline");
  EXPECT_TRUE(batch.batched);
  EXPECT_EQ(batch.batch(), 2);
  EXPECT_EQ(batch.asym_id(1, 0), 1);
  const Layout empty = parse_layout_json(
      R"({"asym_id": [], "residue_index": [], "entity_id": [], "sym_id": [], "token_index": []})", "inline");
  EXPECT_EQ(empty.tokens(), 0);
}

TEST(LayoutJson, ReadsCyclicPeriodsOfTheIdsShape) {
  const Layout layout = parse_layout_json(
      R"({"asym_id": [0, 0, 1], "residue_index": [1, 2, 1], "entity_id": [0, 0, 1], "sym_id": [0, 0, 0],
          "token_index": [0, 1, 2], "cyclic_period": [2, 2, 0]})",
      "inline");
  ASSERT_TRUE(layout.has_periods());
  EXPECT_EQ(layout.period(0, 1), 2);
  EXPECT_EQ(layout.period(0, 2), 0);
  EXPECT_TRUE(layout.any_cyclic());
  EXPECT_NE(layout_to_json(layout).find("\"cyclic_period\": [2, 2, 0]"), std::string::npos);
  const auto error_of = [](const std::string& text) {
    try {
      parse_layout_json(text, "p.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string ids = R"("asym_id": [0, 0], "residue_index": [1, 2], "entity_id": [0, 0], "sym_id": [0, 0],
                              "token_index": [0, 1])";
  EXPECT_EQ(error_of("{" + ids + R"(, "cyclic_period": [2]})"),
            "p.json: 'cyclic_period' has shape [1] but 'asym_id' has [2]");
  EXPECT_EQ(error_of("{" + ids + R"(, "cyclic_period": [2, -1]})"),
            "p.json: cyclic_period -1 is negative (0 = not cyclic, P > 0 = a cyclic chain's period)");
  EXPECT_EQ(error_of("{" + ids + R"(, "cyclic_period": [2, 1.5]})"),
            "p.json: 'cyclic_period'[1] is 1.5 (number), not an integer");
}

TEST(LayoutJson, MalformedDocumentsGiveOneClearLine) {
  const std::string ok_tail = R"("entity_id": [0], "sym_id": [0], "token_index": [0])";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"asym_id\": [0], ", "not valid JSON"},
      {"[1, 2]", "expected a JSON object"},
      {R"({"asym_id": [0], "residue_index": [0], "entity_id": [0], "sym_id": [0]})", "missing key 'token_index'"},
      {R"({"asym_id": [0], "residue_idx": [0], )" + ok_tail + "}", "unknown key 'residue_idx'"},
      {R"({"asym_id": [0.5], "residue_index": [0], )" + ok_tail + "}", "'asym_id'[0] is 0.5"},
      {R"({"asym_id": ["A"], "residue_index": [0], )" + ok_tail + "}", "not an integer"},
      {R"({"asym_id": 3, "residue_index": [0], )" + ok_tail + "}", "not an array"},
      {R"({"asym_id": [0], "residue_index": [0, 1], )" + ok_tail + "}", "'residue_index' has shape [2]"},
      {R"({"asym_id": [[0], [0, 1]], "residue_index": [0], )" + ok_tail + "}", "ragged batch"},
      {R"({"asym_id": [[0], 1], "residue_index": [0], )" + ok_tail + "}", "mixed [N] and [B, N]"},
      {R"({"asym_id": [[0]], "residue_index": [0], )" + ok_tail + "}", "has shape [1]"},
      {R"({"asym_id": [18446744073709551615], "residue_index": [0], )" + ok_tail + "}", "does not fit int64"},
      {R"({"description": 3, "asym_id": [0], "residue_index": [0], )" + ok_tail + "}", "'description'"},
  };
  for (const auto& [text, expected] : cases) {
    try {
      parse_layout_json(text, "layout.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_TRUE(message.starts_with("layout.json: ")) << message;
      EXPECT_NE(message.find(expected), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(LayoutJson, FilesAndNamesResolve) {
  testing::TempDir dir;
  const auto path = dir / "mine.json";
  testing::write_bytes(path, layout_to_json(builtin_layout("homodimer")));
  EXPECT_TRUE(resolve_layout(path.string()) == builtin_layout("homodimer"));
  EXPECT_TRUE(resolve_layout("monomer") == builtin_layout("monomer"));
  EXPECT_THROW(resolve_layout((dir / "absent.json").string()), InputError);
  EXPECT_THROW(resolve_layout("no_such_layout"), InputError);
}

}  // namespace
}  // namespace relpos
