// layer_report: a backend plugin that writes each layer's MACs, BOPs and parameters as CSV.
#include <fstream>

#include "nac/backend.hpp"
#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/plugin.hpp"
#include "nac/settings.hpp"

namespace {

const nac::Setting<std::string> kFile{
    .key = "file", .fallback = "layers.csv", .help = "file name in the backend's folder"};

class LayerReport final : public nac::Backend {
 public:
  explicit LayerReport(std::string file) : file_(std::move(file)) {}
  std::string name() const override { return "layer_report"; }
  nac::BackendReport run(const nac::BackendContext& context) override {
    const auto path = context.out_dir / file_;
    std::ofstream out(path);
    out << "layer,macs,bops,params\n";
    nac::BackendReport report;
    for (const auto& c : nac::layer_costs(context.spec)) {
      out << c.name << ',' << c.macs << ',' << c.bops << ',' << c.params << '\n';
      report.estimates["macs"] += c.macs;
      report.estimates["bops"] += c.bops;
    }
    if (!out) throw nac::WriteError(path.string() + ": cannot be written");
    report.files.push_back(path);
    report.summary = "per-layer costs in " + path.string();
    return report;
  }

 private:
  std::string file_;
};

void register_factories(nac::Registry& registry) {
  registry.add_backend(
      "layer_report", [](const nac::ConfigTable& c) { return std::make_unique<LayerReport>(c.get(kFile)); },
      "per-layer MACs, BOPs and parameters as CSV", nac::describe_settings(kFile));
}

}  // namespace

NAC_PLUGIN("layer_report", "1.0.0", "Per-layer costs as CSV (an example backend)", register_factories)
