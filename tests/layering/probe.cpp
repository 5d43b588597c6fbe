// A layering probe (tests/layering/CMakeLists.txt): includes NAC_PROBE_HEADER.
#include NAC_PROBE_HEADER

int nac_layering_probe() { return 0; }
