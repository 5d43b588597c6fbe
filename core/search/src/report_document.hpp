#pragma once
// Internal: a report as a list of blocks (headings, paragraphs, tables, figures), rendered as
// Markdown (figures linked) and as one self-contained HTML page (figures' SVG inlined).
#include <filesystem>
#include <string>
#include <vector>

namespace nac::detail {

struct ReportBlock {
  enum class Kind { Heading, Paragraph, Table, Figure } kind = Kind::Paragraph;
  int level = 2;                               // headings
  std::string text;                            // heading, paragraph, a figure's caption
  std::vector<std::string> header;             // tables
  std::vector<std::vector<std::string>> rows;  // tables
  std::filesystem::path figure;                // an SVG file, relative to the report's folder
};

class ReportDocument {
 public:
  void heading(std::string text, int level = 2);
  void paragraph(std::string text);
  void table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
  /// An SVG figure (skipped when the file does not exist).
  void figure(const std::filesystem::path& dir, std::filesystem::path svg, std::string caption);

  std::string markdown() const;
  /// `dir`: the report's folder, where the figures are read from.
  std::string html(const std::filesystem::path& dir, const std::string& title) const;

 private:
  std::vector<ReportBlock> blocks_;
};

/// Numbers for tables: 4 significant digits; NaN as "-".
std::string report_number(double v);

}  // namespace nac::detail
