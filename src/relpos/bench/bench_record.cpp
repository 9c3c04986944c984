#include "relpos/bench/bench_record.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "relpos/errors.hpp"

namespace relpos::bench {
namespace {

using Json = nlohmann::ordered_json;

template <class T>
Json optional_value(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json record_json(const BenchRecord& r) {
  Json j;
  j["backend"] = r.backend;
  j["mode"] = r.mode;
  j["direction"] = r.direction;
  j["n"] = r.n;
  j["c_z"] = r.c_z;
  j["threads"] = r.threads;
  j["device"] = r.device;
  j["reps"] = r.reps;
  j["median_ms"] = r.median_ms;
  j["min_ms"] = r.min_ms;
  j["max_ms"] = r.max_ms;
  j["bytes_moved"] = r.bytes_moved;
  j["gbps"] = r.gbps;
  j["limit_kind"] = r.limit_kind;
  j["limit_ms"] = r.limit_ms;
  j["limit_min_ms"] = r.limit_min_ms;
  j["limit_max_ms"] = r.limit_max_ms;
  j["limit_ratio"] = r.limit_ratio;
  j["store_loop_ms"] = optional_value(r.store_loop_ms);
  j["store_loop_ratio"] = optional_value(r.store_loop_ratio);
  j["speedup_vs_onehot_blas"] = optional_value(r.speedup_vs_onehot_blas);
  j["speedup_vs_onehot"] = optional_value(r.speedup_vs_onehot);
  j["first_touch_ms"] = r.first_touch_ms;
  j["output_bytes"] = r.output_bytes;
  j["peak_extra_bytes"] = optional_value(r.peak_extra_bytes);
  j["model_extra_bytes"] = r.model_extra_bytes;
  j["notes"] = r.notes;
  return j;
}

// Reads `key` of `object`, naming the record and key when it is missing or of the wrong type.
template <class T>
T field(const Json& object, const char* key, const std::string& where) {
  const auto found = object.find(key);
  if (found == object.end()) throw InputError(fmt::format("bench JSON: {} has no '{}'", where, key));
  try {
    return found->get<T>();
  } catch (const Json::exception&) {
    throw InputError(fmt::format("bench JSON: {} '{}' has the wrong type ({})", where, key, found->type_name()));
  }
}

template <class T>
std::optional<T> optional_field(const Json& object, const char* key, const std::string& where) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::nullopt;
  return field<T>(object, key, where);
}

BenchRecord parse_record(const Json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(fmt::format("bench JSON: {} is not an object", where));
  BenchRecord r;
  r.backend = field<std::string>(j, "backend", where);
  r.mode = field<std::string>(j, "mode", where);
  r.direction = optional_field<std::string>(j, "direction", where).value_or("forward");
  r.n = field<std::int64_t>(j, "n", where);
  r.c_z = field<std::int64_t>(j, "c_z", where);
  r.threads = field<int>(j, "threads", where);
  r.device = field<std::string>(j, "device", where);
  r.reps = field<int>(j, "reps", where);
  r.median_ms = field<double>(j, "median_ms", where);
  r.min_ms = field<double>(j, "min_ms", where);
  r.max_ms = field<double>(j, "max_ms", where);
  r.bytes_moved = field<std::uint64_t>(j, "bytes_moved", where);
  r.gbps = field<double>(j, "gbps", where);
  r.limit_kind = field<std::string>(j, "limit_kind", where);
  r.limit_ms = field<double>(j, "limit_ms", where);
  r.limit_min_ms = field<double>(j, "limit_min_ms", where);
  r.limit_max_ms = field<double>(j, "limit_max_ms", where);
  r.limit_ratio = field<double>(j, "limit_ratio", where);
  r.store_loop_ms = optional_field<double>(j, "store_loop_ms", where);
  r.store_loop_ratio = optional_field<double>(j, "store_loop_ratio", where);
  r.speedup_vs_onehot_blas = optional_field<double>(j, "speedup_vs_onehot_blas", where);
  r.speedup_vs_onehot = optional_field<double>(j, "speedup_vs_onehot", where);
  r.first_touch_ms = field<double>(j, "first_touch_ms", where);
  r.output_bytes = field<std::uint64_t>(j, "output_bytes", where);
  r.peak_extra_bytes = optional_field<std::uint64_t>(j, "peak_extra_bytes", where);
  r.model_extra_bytes = field<std::uint64_t>(j, "model_extra_bytes", where);
  r.notes = field<std::vector<std::string>>(j, "notes", where);
  return r;
}

}  // namespace

std::string to_json_text(const BenchReport& report) {
  Json j;
  j["schema"] = report.schema;
  j["relpos_version"] = report.relpos_version;
  j["date"] = report.date;
  j["machine"] = Json{{"cpu", report.cpu},  // the processor, not a backend
                      {"cores", report.cores},
                      {"simd", report.simd},
                      {"load_before", report.load_before},
                      {"load_after", report.load_after}};
  j["problem"] = Json{{"r_max", report.r_max}, {"s_max", report.s_max}, {"layout", report.layout}};
  j["records"] = Json::array();
  for (const BenchRecord& record : report.records) j["records"].push_back(record_json(record));
  j["memory_model"] = Json::array();
  for (const ModelPoint& point : report.memory_model)
    j["memory_model"].push_back(Json{{"path", point.path},
                                     {"mode", point.mode},
                                     {"n", point.n},
                                     {"c_z", point.c_z},
                                     {"peak_bytes", point.peak_bytes},
                                     {"extra_bytes", point.extra_bytes}});
  j["notes"] = report.notes;
  return j.dump(2) + "\n";
}

BenchReport parse_bench_json(std::string_view text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw InputError(fmt::format("bench JSON: not valid JSON ({})", e.what()));
  }
  if (!j.is_object()) throw InputError("bench JSON: the top level is not an object");
  BenchReport report;
  report.schema = field<std::string>(j, "schema", "the report");
  if (report.schema != kBenchSchema)
    throw InputError(fmt::format("bench JSON: schema '{}' is not {}", report.schema, kBenchSchema));
  report.relpos_version = field<std::string>(j, "relpos_version", "the report");
  report.date = field<std::string>(j, "date", "the report");
  const Json machine = field<Json>(j, "machine", "the report");
  report.cpu = field<std::string>(machine, "cpu", "machine");  // not a backend
  report.cores = field<int>(machine, "cores", "machine");
  report.simd = field<std::string>(machine, "simd", "machine");
  report.load_before = field<std::vector<double>>(machine, "load_before", "machine");
  report.load_after = field<std::vector<double>>(machine, "load_after", "machine");
  const Json problem = field<Json>(j, "problem", "the report");
  report.r_max = field<std::int64_t>(problem, "r_max", "problem");
  report.s_max = field<std::int64_t>(problem, "s_max", "problem");
  report.layout = field<std::string>(problem, "layout", "problem");
  const Json records = field<Json>(j, "records", "the report");
  if (!records.is_array()) throw InputError("bench JSON: 'records' is not a list");
  for (std::size_t k = 0; k < records.size(); ++k)
    report.records.push_back(parse_record(records[k], fmt::format("record {}", k)));
  const Json model = field<Json>(j, "memory_model", "the report");
  if (!model.is_array()) throw InputError("bench JSON: 'memory_model' is not a list");
  for (std::size_t k = 0; k < model.size(); ++k) {
    const std::string where = fmt::format("memory_model entry {}", k);
    report.memory_model.push_back(ModelPoint{
        field<std::string>(model[k], "path", where), field<std::string>(model[k], "mode", where),
        field<std::int64_t>(model[k], "n", where), field<std::int64_t>(model[k], "c_z", where),
        field<std::uint64_t>(model[k], "peak_bytes", where), field<std::uint64_t>(model[k], "extra_bytes", where)});
  }
  report.notes = field<std::vector<std::string>>(j, "notes", "the report");
  return report;
}

}  // namespace relpos::bench
