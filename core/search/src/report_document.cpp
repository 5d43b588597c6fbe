#include "report_document.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "svg_text.hpp"

namespace nac::detail {

namespace fs = std::filesystem;

std::string report_number(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

void ReportDocument::heading(std::string text, int level) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Heading;
  b.level = level;
  b.text = std::move(text);
  blocks_.push_back(std::move(b));
}

void ReportDocument::paragraph(std::string text) {
  ReportBlock b;
  b.text = std::move(text);
  blocks_.push_back(std::move(b));
}

void ReportDocument::table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Table;
  b.header = std::move(header);
  b.rows = std::move(rows);
  blocks_.push_back(std::move(b));
}

void ReportDocument::figure(const fs::path& dir, fs::path svg, std::string caption) {
  if (!fs::exists(dir / svg)) return;
  ReportBlock b;
  b.kind = ReportBlock::Kind::Figure;
  b.figure = std::move(svg);
  b.text = std::move(caption);
  blocks_.push_back(std::move(b));
}

std::string ReportDocument::markdown() const {
  std::ostringstream out;
  auto cell = [](std::string s) {
    for (std::size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
    return s;
  };
  for (const auto& b : blocks_) {
    switch (b.kind) {
      case ReportBlock::Kind::Heading:
        out << std::string(static_cast<std::size_t>(b.level), '#') << ' ' << b.text << "\n\n";
        break;
      case ReportBlock::Kind::Paragraph: out << b.text << "\n\n"; break;
      case ReportBlock::Kind::Figure: out << "![" << b.text << "](" << b.figure.generic_string() << ")\n\n"; break;
      case ReportBlock::Kind::Table:
        out << '|';
        for (const auto& h : b.header) out << ' ' << cell(h) << " |";
        out << "\n|";
        for (std::size_t i = 0; i < b.header.size(); ++i) out << "---|";
        out << '\n';
        for (const auto& r : b.rows) {
          out << '|';
          for (const auto& c : r) out << ' ' << cell(c) << " |";
          out << '\n';
        }
        out << '\n';
        break;
    }
  }
  return out.str();
}

std::string ReportDocument::html(const fs::path& dir, const std::string& title) const {
  using svg::escape;
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>" << escape(title) << "</title>\n"
      << "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
      << "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
      << "text-align:right;font-size:13px}th{background:#f3f3f3}td:first-child,th:first-child,td.t{text-align:left}"
      << "figure{margin:1em 0 2em}figcaption{color:#555;font-size:13px}svg{max-width:100%;height:auto}"
      << "h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #ccc;margin-top:2em}</style></head><body>\n";
  for (const auto& b : blocks_) {
    switch (b.kind) {
      case ReportBlock::Kind::Heading:
        out << "<h" << b.level << '>' << escape(b.text) << "</h" << b.level << ">\n";
        break;
      case ReportBlock::Kind::Paragraph: {
        // `code` spans of the Markdown text as <code>
        std::string t = escape(b.text), o;
        bool open = false;
        for (char c : t)
          if (c == '`') o += (open = !open) ? "<code>" : "</code>";
          else o += c;
        out << "<p>" << o << "</p>\n";
        break;
      }
      case ReportBlock::Kind::Figure: {
        std::ifstream in(dir / b.figure, std::ios::binary);
        std::string svg((std::istreambuf_iterator<char>(in)), {});
        if (svg.rfind("<?xml", 0) == 0) svg = svg.substr(svg.find("?>") + 2);
        out << "<figure>" << svg << "<figcaption>" << escape(b.text) << " (" << escape(b.figure.generic_string())
            << ")</figcaption></figure>\n";
        break;
      }
      case ReportBlock::Kind::Table:
        out << "<table><tr>";
        for (const auto& h : b.header) out << "<th>" << escape(h) << "</th>";
        out << "</tr>\n";
        for (const auto& r : b.rows) {
          out << "<tr>";
          for (const auto& c : r) {  // numbers right-aligned, text left
            char* end = nullptr;
            (void)std::strtod(c.c_str(), &end);
            const bool number = !c.empty() && (c == "-" || (end && *end == '\0'));
            out << (number ? "<td>" : "<td class='t'>") << escape(c) << "</td>";
          }
          out << "</tr>\n";
        }
        out << "</table>\n";
        break;
    }
  }
  out << "</body></html>\n";
  return out.str();
}

}  // namespace nac::detail
