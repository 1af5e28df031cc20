#pragma once
// The object assets a task may spawn, read from assets/catalogue.json: each name maps to a URDF
// (possibly a template with {{placeholders}}), its size, symmetry and whether it is usually fixed.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "taskforge/core/geometry.h"

namespace taskforge::tasks {

struct CatalogueEntry {
  std::string name;
  std::filesystem::path urdf;            ///< relative to the assets folder
  std::string description;
  std::optional<Vec3> size;              ///< bounding box of fixed-size objects [m]
  std::vector<std::string> parameters;   ///< template placeholders the caller fills
  std::map<std::string, std::string> parameter_doc;
  /// Placeholders computed from others: name -> expression over parameter names (+ - * / ( )).
  std::map<std::string, std::string> derived;
  /// Suggested values of primary parameters (e.g. a zone's colour).
  std::map<std::string, double> defaults;
  bool default_fixed = false;
  double symmetry_rad = 0.0;             ///< 0: any yaw matches; 2π: none
};

/// One of the 20 kit shapes (assets/kit/shapes.json), in Ravens' order.
struct KitShape {
  int id = 0;
  std::string name;         ///< e.g. "letter R"
  std::string file;         ///< relative to the assets folder, e.g. "kit/03_square.obj"
  double symmetry_rad = 0;  ///< as CatalogueEntry::symmetry_rad
};

class Catalogue {
 public:
  /// Reads `assets_dir`/catalogue.json. @throws Error naming the file and the bad entry.
  explicit Catalogue(const std::filesystem::path& assets_dir);

  /// @throws Error "unknown asset 'blok' (closest: block, small_block, ...)".
  const CatalogueEntry& Find(const std::string& name) const;
  const std::vector<CatalogueEntry>& entries() const { return entries_; }
  const std::vector<KitShape>& kit_shapes() const { return kit_shapes_; }
  /// By id ("3") or name ("square"). @throws Error listing the shapes.
  const KitShape& FindKitShape(const std::string& id_or_name) const;
  const std::filesystem::path& assets_dir() const { return assets_dir_; }

 private:
  std::filesystem::path assets_dir_;
  std::vector<CatalogueEntry> entries_;
  std::vector<KitShape> kit_shapes_;
};

/// Evaluates an arithmetic expression (numbers, names from `values`, + - * /, parentheses).
/// @throws Error naming the expression and what is wrong.
double Evaluate(const std::string& expression, const std::map<std::string, double>& values);

/// Up to `count` of `candidates` closest to `word` by edit distance, closest first.
std::vector<std::string> ClosestNames(const std::string& word, const std::vector<std::string>& candidates,
                                      size_t count = 3);

}  // namespace taskforge::tasks
