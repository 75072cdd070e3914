// libyaml's public header, from Debian's libyaml-dev (pkg-config yaml-0.1).
#include <yaml.h>
