#pragma once
// Visibility of nac's public API. nac's libraries and plugins are built with hidden visibility
// (-fvisibility=hidden): a symbol leaves a library only when its declaration sits between
// NAC_PUBLIC_BEGIN and NAC_PUBLIC_END (every public header wraps its declarations so) or carries
// NAC_API. Everything else (the engine's oneDNN wrappers, internal helpers, third-party inline
// code) stays inside the library that uses it.
#define NAC_API __attribute__((visibility("default")))
#define NAC_PUBLIC_BEGIN _Pragma("GCC visibility push(default)")
#define NAC_PUBLIC_END _Pragma("GCC visibility pop")
