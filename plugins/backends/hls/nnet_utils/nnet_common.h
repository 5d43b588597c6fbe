// nac's HLS templates: what they share. NAC_HLS_PRAGMA(...) is `#pragma ...` in synthesis
// (__SYNTHESIS__, defined by Vitis HLS) and nothing elsewhere, so that C simulation builds with
// g++ -Wall -Wextra without warnings about pragmas it does not know.
#ifndef NAC_NNET_COMMON_H
#define NAC_NNET_COMMON_H

#ifdef __SYNTHESIS__
#define NAC_HLS_PRAGMA(...) _Pragma(#__VA_ARGS__)
#else
#define NAC_HLS_PRAGMA(...)
#endif

#endif
