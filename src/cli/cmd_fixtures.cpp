// relpos fixtures {make, regen, check, layouts, layout}: the regression fixture set.
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "relpos/errors.hpp"
#include "relpos/fixtures/fixture_maker.hpp"
#include "relpos/fixtures/fixture_set.hpp"
#include "relpos/fixtures/manifest.hpp"
#include "relpos/io/atomic_file.hpp"
#include "relpos/io/hdf5_file.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/io/layout_json.hpp"
#include "relpos/presets.hpp"

namespace relpos::cli {
namespace {

struct MakeArgs {
  std::string weights, layout, out, policy = "bitwise", label, model;
  std::optional<std::string> precision, variant, cyclic;
  std::optional<std::int32_t> r_max, s_max;
  bool compact = false, force = false;
  std::optional<std::uint64_t> grad;
};

// Each field as given, else the preset's (--model), else part 1's default.
FixtureRequest make_request(const MakeArgs& args) {
  const ModelPreset* preset = args.model.empty() ? nullptr : &find_preset(args.model);
  FixtureRequest request;
  request.weights = parse_weight_source(args.weights);
  request.weights_label = args.label;
  request.hints.r_max = args.r_max ? args.r_max : preset ? std::optional(preset->r_max) : std::nullopt;
  request.hints.s_max = args.s_max ? args.s_max : preset ? std::optional(preset->s_max) : std::nullopt;
  request.hints.variant = args.variant ? parse_variant(*args.variant) : preset ? preset->variant : Variant::af3;
  request.cyclic = args.cyclic ? parse_cyclic(*args.cyclic) : preset ? preset->cyclic : Cyclic::none;
  request.precision =
      args.precision ? parse_precision(*args.precision) : preset ? preset->precisions.front() : Precision::fp32;
  request.model = args.model;
  request.layout = args.layout;
  request.policy = Policy::parse(args.policy);
  request.encoding = args.compact ? OutputEncoding::class_map : OutputEncoding::full;
  request.grad_seed = args.grad;
  return request;
}

int run_make(const MakeArgs& args) {
  const FixtureRequest request = make_request(args);
  io::refuse_existing(args.out, args.force ? io::Overwrite::allow : io::Overwrite::refuse);
  const Fixture fixture = make_fixture(request);
  write_fixture(args.out, fixture, {.overwrite = args.force});
  const Config& config = fixture.meta.config;
  std::printf("wrote %s (format %lld): B=%lld N=%lld c_z=%d r_max=%d s_max=%d %s cyclic %s %s, policy %s, %s "
              "encoding\n  weights: %s\n",
              args.out.c_str(), static_cast<long long>(fixture.format_version()),
              static_cast<long long>(fixture.layout.batch()), static_cast<long long>(fixture.layout.tokens()),
              config.c_z, config.r_max, config.s_max, std::string(to_string(config.variant)).c_str(),
              std::string(to_string(config.cyclic)).c_str(), std::string(to_string(config.precision)).c_str(),
              fixture.meta.policy.str().c_str(), std::string(to_string(fixture.encoding)).c_str(),
              fixture.meta.source.c_str());
  if (fixture.grad_weight)
    std::printf("  backward: /inputs/grad_output (standard normal, seed %llu) and /expected/grad_weight [%d, %lld]\n",
                static_cast<unsigned long long>(*args.grad), config.c_z,
                static_cast<long long>(config.feature_width()));
  return kExitOk;
}

std::filesystem::path fixture_dir(const std::string& given) {
  return given.empty() ? default_fixture_dir() : std::filesystem::path(given);
}

}  // namespace

void register_fixtures(CLI::App& root, Commands& commands) {
  CLI::App* group = root.add_subcommand("fixtures", "Make, regenerate and check the regression fixture set");
  group->require_subcommand(1);

  auto make = std::make_shared<MakeArgs>();
  CLI::App* make_app = group->add_subcommand("make", "Write one fixture from weights and a layout (reference onehot)");
  make_app->add_option("--weights", make->weights, "FILE[:KEY]: safetensors or HDF5 weights (docs/weights.md)")->required();
  make_app->add_option("--layout", make->layout, "a layout JSON file or a built-in name (relpos fixtures layouts)")
      ->required();
  make_app->add_option("--out", make->out, "fixture to write (refuses to overwrite without --force)")->required();
  make_app->add_option("--model", make->model, "a model preset: its variant, cyclic form, r_max, s_max and usual "
                                               "precision, each unless given (protenix, pxdesign, af3, openfold3, "
                                               "boltz1, boltz2)");
  make_app->add_option("--precision", make->precision, "fp32 (default), bf16 or bf16-autocast");
  make_app->add_option("--cyclic", make->cyclic, "none (default) or boltz (the layout's cyclic_period are used)");
  make_app->add_option("--policy", make->policy, "the policy stored in the fixture: bitwise (default; reordered backends are then held to bound:6 in fp32, rbound:6 in the bf16 regimes), bound:K, rbound:K, ulp:K, allclose[:R,A]");
  make_app->add_flag("--compact", make->compact, "store /expected as class map + distinct rows (lossless, for large N)");
  make_app->add_option("--grad", make->grad,
                       "SEED: also store a standard normal grad_output G from SEED and the reference weight gradient "
                       "dW (format 2; fp32 only)");
  make_app->add_option("--r-max", make->r_max, "r_max when F alone does not decide it")->check(CLI::NonNegativeNumber);
  make_app->add_option("--s-max", make->s_max, "s_max when F alone does not decide it")->check(CLI::NonNegativeNumber);
  make_app->add_option("--variant", make->variant, "af3 (default) or paper");
  make_app->add_option("--source-label", make->label, "how the 'source' attribute names the weights file");
  make_app->add_flag("--force", make->force, "replace --out if it exists");
  commands.push_back({make_app, [make] { return run_make(*make); }});

  auto regen_dir = std::make_shared<std::string>();
  auto only = std::make_shared<std::vector<std::string>>();
  CLI::App* regen = group->add_subcommand("regen", "Rebuild the fixture set from fixtures/recipe.json (never on CI)");
  regen->add_option("--only", *only, "rebuild only these fixtures (repeatable)");
  regen->add_option("--fixtures", *regen_dir, "fixture directory (default: the source tree's fixtures/)");
  commands.push_back({regen, [regen_dir, only] {
                        const auto directory = fixture_dir(*regen_dir);
                        const auto written = regen_fixture_set(directory, *only);
                        Table table({"file", "bytes", "sha256"});
                        for (const auto& file : written) table.add({file.file, std::to_string(file.bytes), file.sha256});
                        std::fputs(table.str().c_str(), stdout);
                        std::printf("\nregenerated %zu file(s) under %s; %s updated\n", written.size(),
                                    directory.string().c_str(), kManifestFile);
                        return kExitOk;
                      }});

  auto check_dir = std::make_shared<std::string>();
  CLI::App* check = group->add_subcommand(
      "check", "Fail when a fixture is missing, not in the recipe, altered (sha256) or stale (regenerates differently)");
  check->add_option("--fixtures", *check_dir, "fixture directory (default: the source tree's fixtures/)");
  commands.push_back({check, [check_dir] {
                        const auto directory = fixture_dir(*check_dir);
                        const FixtureSetCheck result = check_fixture_set(directory);
                        Table table({"file", "status", "detail"});
                        for (const auto& finding : result.findings) table.add({finding.file, finding.status, finding.detail});
                        std::printf("== fixture set under %s\n", directory.string().c_str());
                        std::fputs(table.str().c_str(), stdout);
                        std::size_t problems = 0;
                        for (const auto& finding : result.findings) problems += finding.ok() ? 0 : 1;
                        std::printf("\nfixtures check: %s (%zu problem(s))\n", result.passed() ? "PASS" : "FAIL", problems);
                        return result.passed() ? kExitOk : kExitMismatch;
                      }});

  CLI::App* layouts = group->add_subcommand("layouts", "List the built-in layouts");
  commands.push_back({layouts, [] {
                        Table table({"name", "B", "N", "description"});
                        for (const auto& info : builtin_layouts()) {
                          const auto layout = find_builtin_layout(info.name);
                          const bool batched = layout && layout->batched;
                          table.add({info.name, batched ? std::to_string(layout->batch()) : "-",
                                     layout ? std::to_string(layout->tokens()) : "N", info.description});
                        }
                        std::fputs(table.str().c_str(), stdout);
                        return kExitOk;
                      }});

  auto layout_name = std::make_shared<std::string>();
  auto layout_out = std::make_shared<std::string>();
  auto layout_force = std::make_shared<bool>(false);
  CLI::App* layout = group->add_subcommand("layout", "Print a layout (built-in or JSON) as layout JSON");
  layout->add_option("layout", *layout_name, "built-in name or JSON file")->required();
  layout->add_option("--out", *layout_out, "write to this file instead of stdout");
  layout->add_flag("--force", *layout_force, "replace --out if it exists");
  commands.push_back({layout, [layout_name, layout_out, layout_force] {
                        const std::string text = layout_to_json(resolve_layout(*layout_name));
                        if (layout_out->empty()) {
                          std::fputs(text.c_str(), stdout);
                          return kExitOk;
                        }
                        io::write_atomically(*layout_out,
                                             *layout_force ? io::Overwrite::allow : io::Overwrite::refuse,
                                             [&](const std::filesystem::path& temporary) {
                          std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
                          out << text;
                          out.close();
                          if (!out) throw InputError(fmt::format("{}: cannot be written", *layout_out));
                        });
                        return kExitOk;
                      }});
}

}  // namespace relpos::cli
