// Fuzz build only: Boost.JSON and Boost.URL compiled from their headers, so that the
// fuzzers get coverage feedback from inside the JSON and URL parsers too.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
