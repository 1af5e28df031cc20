#pragma once
// A little HTML writing: escaping and the page frame. The report is plain HTML and CSS with one
// small script that records, on the body element, how many of the page's pictures loaded.

#include <string>
#include <string_view>

namespace taskforge::report {

/// `text` with &, <, >, " and ' replaced by entities, safe inside elements and quoted attributes.
std::string Escape(std::string_view text);

/// The page's opening (doctype, head with the style sheet, body, title heading).
std::string PageStart(const std::string& title, const std::string& subtitle);
/// The page's closing.
std::string PageEnd();

}  // namespace taskforge::report
