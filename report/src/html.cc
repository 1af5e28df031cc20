#include "html.h"

namespace taskforge::report {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

constexpr std::string_view kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.1em; } .subtitle { color: #666; margin-top: 0; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #eee; padding: 6px 8px; vertical-align: top; text-align: left; }
th { background: #f6f6f6; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
img.scene { width: 300px; border: 1px solid #ddd; } .muted { color: #888; } .error { color: #b00; white-space: pre-wrap; }
.tag { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; background: #eef; }
.tag.seed { background: #eee; } .tag.generated { background: #e4f6e4; } .tag.rejected { background: #fbe3e3; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; } .card { background: #f7f7f9; border-radius: 6px; padding: 0.6em 1em; }
.card b { display: block; font-size: 20px; } code { background: #f3f3f3; padding: 0 3px; }
)";

// Records on <body> how many pictures the page has and how many loaded, for checks in a browser.
constexpr std::string_view kImageCheck = R"(
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  document.body.setAttribute('data-images-total', images.length);
  document.body.setAttribute('data-images-loaded',
      images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length);
});
)";

}  // namespace

std::string PageStart(const std::string& title, const std::string& subtitle) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  html += Escape(title);
  html += "</title>\n<style>";
  html += kStyle;
  html += "</style>\n<script>";
  html += kImageCheck;
  html += "</script>\n</head>\n<body>\n<h1>" + Escape(title) + "</h1>\n<p class=\"subtitle\">" + Escape(subtitle) +
          "</p>\n";
  return html;
}

std::string PageEnd() { return "</body>\n</html>\n"; }

}  // namespace taskforge::report
