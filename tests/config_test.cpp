#include <doctest/doctest.h>

#include "nac/config.hpp"
#include "nac/settings.hpp"
#include "nac/error.hpp"

using namespace nac;

namespace {
ConfigTable parse(const std::string& text) { return root_table(parse_toml_text(text, "exp.toml"), "exp.toml"); }
}  // namespace

TEST_CASE("getters read values and defaults") {
  const ConfigTable c = parse("a = 3\nb = 2.5\nc = true\nd = \"zdt1\"\ne = [1, 2.5]\n[t]\nx = 1\n");
  CHECK(c.integer("a", std::nullopt) == 3);
  CHECK(c.real("a", std::nullopt) == 3.0);  // an integer is a fine number
  CHECK(c.real("b", std::nullopt) == 2.5);
  CHECK(c.boolean("c", std::nullopt));
  CHECK(c.string("d", std::nullopt, {"zdt1", "zdt2"}) == "zdt1");
  CHECK(c.reals("e", std::nullopt) == std::vector<double>{1, 2.5});
  CHECK(c.integer("absent", 7) == 7);
  const ConfigTable t = c.table("t");
  CHECK(t.integer("x", std::nullopt) == 1);
  CHECK(t.dotted("x") == "t.x");
  CHECK_NOTHROW(t.finish());
  CHECK_NOTHROW(c.finish());
}

TEST_CASE("an unknown key names file:line:col and suggests the closest known key") {
  const ConfigTable c = parse("[search]\ntrials = 10\nbacth = 4\n");
  const ConfigTable s = c.table("search");
  s.integer("trials", 100);
  s.integer("batch", 1);
  CHECK_THROWS_WITH_AS(s.finish(), "exp.toml:3:1: unknown key 'search.bacth'; did you mean 'batch'?", Error);
}

TEST_CASE("an unknown key far from every known key lists the known keys") {
  const ConfigTable c = parse("alpha = 1\nzzzzzzzz = 2\n");
  c.integer("alpha", 0);
  CHECK_THROWS_WITH_AS(c.finish(), "exp.toml:2:1: unknown key 'zzzzzzzz'; known keys here: alpha", Error);
}

TEST_CASE("wrong types say what was expected and what was found - with the position") {
  const ConfigTable c = parse("[strategy]\npopulation = \"fifty\"\nrate = [1]\nflag = 1\n");
  const ConfigTable s = c.table("strategy");
  CHECK_THROWS_WITH_AS(s.integer("population", 50),
                       "exp.toml:2:14: 'strategy.population': expected an integer, found the string \"fifty\"", Error);
  CHECK_THROWS_WITH_AS(s.real("rate", 0.1), "exp.toml:3:8: 'strategy.rate': expected a number, found an array", Error);
  CHECK_THROWS_WITH_AS(s.boolean("flag", false),
                       "exp.toml:4:8: 'strategy.flag': expected true or false, found the integer 1", Error);
}

TEST_CASE("out-of-range values and bad choices") {
  const ConfigTable c = parse("population = -3\nrate = 1.5\nproblem = \"zdt7\"\nlist = [1, -1]\n");
  CHECK_THROWS_WITH_AS(c.integer("population", 50, Range::at_least(2)),
                       "exp.toml:1:14: 'population': expected an integer >= 2, found -3", Error);
  CHECK_THROWS_WITH_AS(c.real("rate", 0.5, Range::between(0, 1)),
                       "exp.toml:2:8: 'rate': expected a number in [0, 1], found 1.5", Error);
  CHECK_THROWS_WITH_AS(
      c.string("problem", std::nullopt, {"zdt1", "zdt2", "dtlz2"}),
      "exp.toml:3:11: 'problem': expected one of zdt1, zdt2, dtlz2, found \"zdt7\"; did you mean 'zdt1'?", Error);
  CHECK_THROWS_WITH_AS(c.reals("list", std::nullopt, Range::above(0)),
                       "exp.toml:4:12: 'list': expected a number > 0, found -1", Error);
}

TEST_CASE("a missing required key names the table") {
  const ConfigTable c = parse("[task]\nproblem = 1\n");
  CHECK_THROWS_WITH_AS(c.table("task").string("name", std::nullopt),
                       "exp.toml:1:1: 'task.name': missing required key (a string)", Error);
  CHECK_THROWS_WITH_AS(c.table("strategy", true), doctest::Contains("'strategy': missing required table"), Error);
}

TEST_CASE("TOML syntax errors carry the position") {
  CHECK_THROWS_WITH_AS(parse("a = 1\nb = = 2\n"), doctest::Contains("exp.toml:2:"), Error);
  CHECK_THROWS_WITH_AS(parse_toml_file("/nonexistent/exp.toml"), "/nonexistent/exp.toml: no such file", Error);
}

TEST_CASE("declared settings: read through their declaration, described from it") {
  const Setting<std::int64_t> population{
      .key = "population", .fallback = 20, .range = Range::between(2, 100), .help = "individuals"};
  const Setting<std::string> weights{.key = "weights", .fallback = "ramp", .choices = {"uniform", "ramp"}, .help = "w"};
  const Setting<double> rate{
      .key = "rate", .fallback = std::nullopt, .range = Range::between(0, 1), .help = "r", .required = false};
  const Setting<std::vector<std::int64_t>> widths{
      .key = "widths", .fallback = std::vector<std::int64_t>{4, 8}, .range = Range::at_least(1), .help = "choices"};
  const ConfigTable empty = parse("");
  CHECK(empty.get(population) == 20);
  CHECK(empty.get(weights) == "ramp");
  CHECK_FALSE(empty.get_optional(rate).has_value());
  CHECK(empty.get(widths) == std::vector<std::int64_t>{4, 8});
  CHECK_NOTHROW(empty.finish());

  const ConfigTable t = parse("population = 50\nweights = \"uniform\"\nrate = 0.25\nwidths = [16]\n");
  CHECK(t.get(population) == 50);
  CHECK(t.get(weights) == "uniform");
  CHECK(t.get_optional(rate) == 0.25);
  CHECK(t.get(widths) == std::vector<std::int64_t>{16});
  CHECK_NOTHROW(t.finish());
  CHECK_THROWS_WITH_AS(parse("population = 1\n").get(population),
                       "exp.toml:1:14: 'population': expected an integer in [2, 100], found 1", Error);
  CHECK_THROWS_WITH_AS(parse("weights = \"ramps\"\n").get(weights), doctest::Contains("did you mean 'ramp'"), Error);

  const auto info = describe_settings(population, weights, rate, widths);
  REQUIRE(info.size() == 4);
  CHECK(info[0].key == "population");
  CHECK(info[0].type == "integer");
  CHECK(info[0].fallback == "20");
  CHECK(info[0].range == "in [2, 100]");
  CHECK(info[1].fallback == "\"ramp\"");
  CHECK(info[1].range == "one of uniform, ramp");
  CHECK(info[2].fallback == "(see help)");
  CHECK(info[3].type == "integers");
  CHECK(info[3].fallback == "[4, 8]");
}

TEST_CASE("copies, sub-tables reached twice and views share the record of the keys read") {
  const ConfigTable c = parse("a = 1\nx = 5\n[t]\nx = 2\ny = 3\n[[arr]]\nz = 4\n");
  {
    const ConfigTable copy = c;  // e.g. a plugin keeps a copy of its table and reads it later
    CHECK(copy.integer("a", std::nullopt) == 1);
  }
  // The first table('t') reads x, a second one (and a copy of it) read y: all one table.
  const ConfigTable t1 = c.table("t");
  CHECK(t1.integer("x", std::nullopt) == 2);
  ConfigTable t2 = c.table("t");
  ConfigTable t3 = t2;
  CHECK(t3.integer("y", std::nullopt) == 3);
  CHECK_NOTHROW(t1.finish());
  CHECK_NOTHROW(t2.finish());
  // A view of an array's table shares with the table tables() gave.
  const auto arr = c.tables("arr");
  REQUIRE(arr.size() == 1);
  const ConfigTable v = c.view(arr[0].toml(), "arr[0]");
  CHECK(v.integer("z", std::nullopt) == 4);
  CHECK_NOTHROW(arr[0].finish());
  // Keys read in a sub-table are not keys of the parent: the root's 'x' is still unknown.
  CHECK_THROWS_WITH_AS(c.finish(), doctest::Contains("exp.toml:2:1: unknown key 'x'"), Error);
  c.allow("x");
  CHECK_NOTHROW(c.finish());
  // A copy assigned later shares too.
  ConfigTable other = parse("b = 1\n");
  other = c;
  CHECK_NOTHROW(other.finish());
}

TEST_CASE("separately parsed documents keep separate records") {
  const ConfigTable a = parse("k = 1\n");
  const ConfigTable b = parse("k = 1\n");
  a.integer("k", std::nullopt);
  CHECK_NOTHROW(a.finish());
  CHECK_THROWS_WITH_AS(b.finish(), doctest::Contains("unknown key 'k'"), Error);
}

TEST_CASE("a table moved from stays usable and shares the record") {
  ConfigTable c = parse("a = 1\n");
  ConfigTable moved = std::move(c);
  moved.integer("a", std::nullopt);
  CHECK_NOTHROW(c.finish());  // NOLINT(bugprone-use-after-move): what the test is about
  CHECK_NOTHROW(moved.finish());
}

TEST_CASE("nesting deeper than 64 levels is refused before the parser recurses - 64 levels parse") {
  auto path = [](std::size_t n, const std::string& part) {
    std::string s = part;
    for (std::size_t i = 1; i < n; ++i) s += "." + part;
    return s;
  };
  auto error_of = [](const std::string& text) {
    try {
      (void)parse_toml_text(text, "deep.toml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string deeper =
      " levels (tables, dotted keys, arrays and inline tables together); an experiment file "
      "needs a handful";
  // 50,000 levels (what crashed the parser) of each kind: a header, an array of tables, a dotted
  // key, a numeric dotted key, inline tables and arrays; each names the place it went too deep.
  CHECK(error_of("[" + path(50000, "a") + "]\n") == "deep.toml:1:129: nested deeper than 64" + deeper);
  CHECK(error_of("x = 1\n[[" + path(50000, "a") + "]]\n") == "deep.toml:2:130: nested deeper than 64" + deeper);
  CHECK(error_of(path(50000, "a") + " = 1\n") == "deep.toml:1:128: nested deeper than 64" + deeper);
  CHECK(error_of(path(50000, "1") + " = 1\n") == "deep.toml:1:128: nested deeper than 64" + deeper);
  std::string inl = "x = ", arr = "y = ";
  for (int i = 0; i < 50000; ++i) inl += "{a = ", arr += "[";
  CHECK(error_of(inl + "1\n") == "deep.toml:1:320: nested deeper than 64" + deeper);
  CHECK(error_of(arr + "\n") == "deep.toml:1:68: nested deeper than 64" + deeper);
  // Exactly 64 levels parse; what is inside strings and comments does not count.
  CHECK(error_of("[" + path(64, "a") + "]\nx = 1\n") == "no error");
  CHECK(error_of(path(64, "b") + " = 1\n") == "no error");
  CHECK(error_of("x = \"" + path(500, "a") + "\"  # " + path(500, "[") + "\ny = '''\n" + path(500, "{") + "'''\n") ==
        "no error");
  CHECK(error_of("[a]\nz = [1.5, 2.5, {b.c = 3}]\n[" + path(65, "a") + "]\n") ==
        "deep.toml:3:129: nested deeper than 64" + deeper);
}
