#include "catalogue.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "taskforge/core/error.h"

namespace taskforge::tasks {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

// Recursive descent over: sum := product (('+'|'-') product)*; product := factor (('*'|'/')
// factor)*; factor := number | name | '(' sum ')' | '-' factor.
class ExpressionParser {
 public:
  ExpressionParser(const std::string& text, const std::map<std::string, double>& values)
      : text_(text), values_(values) {}

  double Parse() {
    const double value = Sum();
    Skip();
    if (pos_ != text_.size()) Fail("unexpected '" + text_.substr(pos_, 1) + "'");
    return value;
  }

 private:
  void Skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Accept(char c) {
    Skip();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  [[noreturn]] void Fail(const std::string& why) const {
    throw Error("cannot evaluate '" + text_ + "': " + why);
  }
  double Sum() {
    double value = Product();
    for (;;) {
      if (Accept('+')) value += Product();
      else if (Accept('-')) value -= Product();
      else return value;
    }
  }
  double Product() {
    double value = Factor();
    for (;;) {
      if (Accept('*')) value *= Factor();
      else if (Accept('/')) value /= Factor();
      else return value;
    }
  }
  double Factor() {
    if (Accept('(')) {
      const double value = Sum();
      if (!Accept(')')) Fail("missing ')'");
      return value;
    }
    if (Accept('-')) return -Factor();
    Skip();
    const size_t start = pos_;
    if (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.')) {
      while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
                                     text_[pos_] == 'e')) {
        ++pos_;
      }
      return std::stod(text_.substr(start, pos_ - start));
    }
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
    if (start == pos_) Fail("expected a number or a name");
    const std::string name = text_.substr(start, pos_ - start);
    auto it = values_.find(name);
    if (it == values_.end()) Fail("no value for '" + name + "'");
    return it->second;
  }

  const std::string& text_;
  const std::map<std::string, double>& values_;
  size_t pos_ = 0;
};

}  // namespace

double Evaluate(const std::string& expression, const std::map<std::string, double>& values) {
  return ExpressionParser(expression, values).Parse();
}

std::vector<std::string> ClosestNames(const std::string& word, const std::vector<std::string>& candidates,
                                      size_t count) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const std::string& c : candidates) {
    // A candidate containing the word (or the reverse) is a near miss whatever its length.
    const bool contains = c.find(word) != std::string::npos || word.find(c) != std::string::npos;
    scored.emplace_back(contains ? 0 : EditDistance(word, c), c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < count; ++i) out.push_back(scored[i].second);
  return out;
}

Catalogue::Catalogue(const std::filesystem::path& assets_dir) : assets_dir_(assets_dir) {
  const std::filesystem::path path = assets_dir / "catalogue.json";
  std::ifstream in(path);
  TF_THROW_UNLESS(in.good(), "cannot read the asset catalogue ", path.string());
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
  TF_THROW_UNLESS(doc.contains("objects") && doc["objects"].is_array(), path.string(),
                  ": expected an \"objects\" list");
  for (const nlohmann::json& item : doc["objects"]) {
    CatalogueEntry e;
    try {
      e.name = item.at("name").get<std::string>();
      e.urdf = item.at("urdf").get<std::string>();
      e.description = item.value("description", "");
      if (item.contains("size") && item["size"].is_array() && item["size"].size() == 3) {
        e.size = Vec3(item["size"][0].get<double>(), item["size"][1].get<double>(), item["size"][2].get<double>());
      }
      if (item.contains("template_params")) e.parameters = item["template_params"].get<std::vector<std::string>>();
      if (item.contains("param_doc")) e.parameter_doc = item["param_doc"].get<std::map<std::string, std::string>>();
      if (item.contains("derived_params")) e.derived = item["derived_params"].get<std::map<std::string, std::string>>();
      if (item.contains("defaults")) {
        for (const auto& [key, value] : item["defaults"].items()) {
          e.defaults[key] = value.is_string() ? std::stod(value.get<std::string>()) : value.get<double>();
        }
      }
      e.default_fixed = item.value("default_fixed", false);
      e.symmetry_rad = item.value("symmetry_rad", 0.0);
    } catch (const nlohmann::json::exception& ex) {
      throw Error(path.string() + ": entry " + item.dump() + ": " + ex.what());
    }
    TF_THROW_UNLESS(std::filesystem::exists(assets_dir / e.urdf), path.string(), ": asset '", e.name,
                    "' names a missing file ", e.urdf.string());
    entries_.push_back(std::move(e));
  }
  const std::filesystem::path shapes_path = assets_dir / "kit" / "shapes.json";
  std::ifstream shapes_in(shapes_path);
  if (!shapes_in.good()) return;
  try {
    const nlohmann::json shapes = nlohmann::json::parse(shapes_in);
    const nlohmann::json& list = shapes.is_array() ? shapes : shapes.at("shapes");
    for (const nlohmann::json& item : list) {
      kit_shapes_.push_back({item.at("id").get<int>(), item.at("name").get<std::string>(),
                             item.at("file").get<std::string>(), item.value("symmetry_rad", 0.0)});
    }
  } catch (const nlohmann::json::exception& ex) {
    throw Error(shapes_path.string() + ": " + ex.what());
  }
}

const KitShape& Catalogue::FindKitShape(const std::string& id_or_name) const {
  std::vector<std::string> names;
  for (const KitShape& shape : kit_shapes_) {
    if (std::to_string(shape.id) == id_or_name || shape.name == id_or_name) return shape;
    names.push_back(shape.name);
  }
  throw Error("unknown kit shape '" + id_or_name + "' (ids 0-" + std::to_string(int(kit_shapes_.size()) - 1) +
              "; closest names: " + JoinNames(ClosestNames(id_or_name, names)) + ")");
}

const CatalogueEntry& Catalogue::Find(const std::string& name) const {
  for (const CatalogueEntry& e : entries_) {
    if (e.name == name) return e;
  }
  std::vector<std::string> names;
  for (const CatalogueEntry& e : entries_) names.push_back(e.name);
  throw Error("unknown asset '" + name + "' (closest: " + JoinNames(ClosestNames(name, names)) + ")");
}

}  // namespace taskforge::tasks
