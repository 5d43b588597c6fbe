// .npy files (numpy's format, https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//   6 bytes "\x93NUMPY", 2 bytes version (1.0, 2.0 or 3.0), the header length (uint16 LE for 1.0,
//   uint32 LE for 2.0 and 3.0), the header: a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and '\n',
//   then the data in C order.
// The header parser, the decoder and the header writer also serve the members of .npz archives.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "array_formats.hpp"
#include "nac/error.hpp"

namespace nac::data::detail {

static_assert(std::endian::native == std::endian::little, "the array decoders assume a little-endian machine");

namespace {

constexpr std::uint64_t kMaxHeader = 1 << 20;  // numpy's own limit is 10000 bytes

// ---- a Python literal, as much of it as .npy headers use ----

struct PyValue {
  enum class Kind { Str, Bool, Int, None, Seq, Dict } kind = Kind::None;
  std::string str;
  bool boolean = false;
  std::int64_t integer = 0;
  std::vector<std::string> keys;  // Dict
  std::vector<PyValue> items;     // Seq, or the Dict's values
};

class PyParser {
 public:
  PyParser(const std::string& text, const std::string& where) : t_(text), where_(where) {}

  PyValue parse() {
    PyValue v = value(0);
    skip_space();
    if (p_ != t_.size()) error("unexpected text after the dictionary");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    throw Error(where_ + ": corrupt .npy header: " + what + " at byte " + std::to_string(p_) + " of " +
                std::to_string(t_.size()));
  }

  void skip_space() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\n' || t_[p_] == '\r' || t_[p_] == '\t')) ++p_;
  }

  bool eat(char c) {
    skip_space();
    if (p_ < t_.size() && t_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!eat(c)) error(std::string("expected '") + c + "'");
  }

  PyValue value(int depth) {
    if (depth > 8) error("too deeply nested");
    skip_space();
    if (p_ >= t_.size()) error("unexpected end");
    const char c = t_[p_];
    if (c == '{') return dict(depth);
    if (c == '(' || c == '[') return seq(depth);
    if (c == '\'' || c == '"') return string();
    if (c == '-' || c == '+' || (c >= '0' && c <= '9')) return integer();
    for (const char* word : {"True", "False", "None"}) {
      if (t_.compare(p_, std::strlen(word), word) == 0) {
        p_ += std::strlen(word);
        PyValue v;
        v.kind = word[0] == 'N' ? PyValue::Kind::None : PyValue::Kind::Bool;
        v.boolean = word[0] == 'T';
        return v;
      }
    }
    error("unexpected character");
  }

  PyValue string() {
    const char quote = t_[p_++];
    PyValue v;
    v.kind = PyValue::Kind::Str;
    while (true) {
      if (p_ >= t_.size()) error("unterminated string");
      char c = t_[p_++];
      if (c == quote) break;
      if (c == '\\') {
        if (p_ >= t_.size()) error("unterminated string");
        c = t_[p_++];
      }
      v.str += c;
    }
    return v;
  }

  PyValue integer() {
    bool negative = false;
    if (t_[p_] == '-' || t_[p_] == '+') negative = t_[p_++] == '-';
    if (p_ >= t_.size() || t_[p_] < '0' || t_[p_] > '9') error("expected a digit");
    std::uint64_t n = 0;
    while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') {
      const auto digit = static_cast<std::uint64_t>(t_[p_++] - '0');
      if (n > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - digit) / 10)
        error("integer too large");
      n = n * 10 + digit;
    }
    if (p_ < t_.size() && (t_[p_] == 'L' || t_[p_] == 'l')) ++p_;  // Python 2's long
    PyValue v;
    v.kind = PyValue::Kind::Int;
    v.integer = negative ? -static_cast<std::int64_t>(n) : static_cast<std::int64_t>(n);
    return v;
  }

  PyValue seq(int depth) {
    const char close = t_[p_++] == '(' ? ')' : ']';
    PyValue v;
    v.kind = PyValue::Kind::Seq;
    while (!eat(close)) {
      v.items.push_back(value(depth + 1));
      if (!eat(',')) {
        expect(close);
        break;
      }
    }
    return v;
  }

  PyValue dict(int depth) {
    ++p_;
    PyValue v;
    v.kind = PyValue::Kind::Dict;
    while (!eat('}')) {
      skip_space();
      if (p_ >= t_.size() || (t_[p_] != '\'' && t_[p_] != '"')) error("expected a string key");
      v.keys.push_back(string().str);
      expect(':');
      v.items.push_back(value(depth + 1));
      if (!eat(',')) {
        expect('}');
        break;
      }
    }
    return v;
  }

  const std::string t_;
  const std::string& where_;
  std::size_t p_ = 0;
};

const PyValue& key(const PyValue& dict, const char* name, const std::string& where) {
  for (std::size_t i = 0; i < dict.keys.size(); ++i)
    if (dict.keys[i] == name) return dict.items[i];
  throw Error(where + ": corrupt .npy header: no '" + name + "' key");
}

struct DTypeInfo {
  const char* code;  // kind and size, as in '<f4'
  DType dtype;
  const char* name;
};

constexpr DTypeInfo kDTypes[] = {
    {"b1", DType::Bool, "bool"},       {"i1", DType::Int8, "int8"},       {"i2", DType::Int16, "int16"},
    {"i4", DType::Int32, "int32"},     {"i8", DType::Int64, "int64"},     {"u1", DType::UInt8, "uint8"},
    {"u2", DType::UInt16, "uint16"},   {"u4", DType::UInt32, "uint32"},   {"u8", DType::UInt64, "uint64"},
    {"f2", DType::Float16, "float16"}, {"f4", DType::Float32, "float32"}, {"f8", DType::Float64, "float64"},
};

void set_dtype(NpyHeader& h, const PyValue& descr, const std::string& where) {
  if (descr.kind == PyValue::Kind::Seq)
    throw Error(where + ": structured dtype (a record of named fields) is not supported; save each field as an array");
  if (descr.kind != PyValue::Kind::Str) throw Error(where + ": corrupt .npy header: 'descr' is not a string");
  const std::string& d = descr.str;
  const char order = d.empty() ? '=' : d[0];
  const bool has_order = !d.empty() && (order == '<' || order == '>' || order == '|' || order == '=');
  const std::string code = has_order ? d.substr(1) : d;  // ('' has none: a fuzz_arrays finding)
  const std::string supported =
      "supported: little-endian bool, int8/16/32/64, uint8/16/32/64, float16/32/64, and strings 'S<n>', '<U<n>'";
  // Strings: 'S<n>' ('a<n>' in old files) of n bytes, 'U<n>' of n UTF-32 code points.
  if (!code.empty() && (code[0] == 'S' || code[0] == 'a' || code[0] == 'U') && code.size() >= 2 && code.size() <= 10 &&
      code.find_first_not_of("0123456789", 1) == std::string::npos) {
    const std::uint64_t n = std::stoull(code.substr(1));
    if (n == 0) throw Error(where + ": dtype '" + d + "' (strings of length 0) is not supported");
    if (code[0] == 'U' && order == '>')
      throw Error(where + ": big-endian dtype '" + d + "' is not supported (" + supported +
                  "); save it with a.astype('<" + code + "')");
    h.dtype = code[0] == 'U' ? DType::Unicode : DType::Bytes;
    h.dtype_name = "string";
    h.itemsize = static_cast<std::size_t>(code[0] == 'U' ? 4 * n : n);
    return;
  }
  for (const DTypeInfo& t : kDTypes) {
    if (code != t.code) continue;
    if (order == '>' && code[1] != '1')
      throw Error(where + ": big-endian dtype '" + d + "' is not supported (" + supported +
                  "); save it with a.astype('<" + code + "')");
    h.dtype = t.dtype;
    h.dtype_name = t.name;
    h.itemsize = static_cast<std::size_t>(code[1] - '0');
    return;
  }
  if (!code.empty() && code[0] == 'O')
    throw Error(where + ": object dtype '" + d + "' (pickled Python objects) is not supported (" + supported + ")");
  throw Error(where + ": dtype '" + d + "' is not supported (" + supported + ")");
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1f;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf, nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // +-0
  } else {        // subnormal: normalise
    std::uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

template <class T>
void convert_as(const char* src, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

void convert(DType dtype, const char* src, std::size_t n, float* out) {
  switch (dtype) {
    case DType::Bool:
      for (std::size_t i = 0; i < n; ++i) out[i] = src[i] != 0 ? 1.0f : 0.0f;
      return;
    case DType::Int8: return convert_as<std::int8_t>(src, n, out);
    case DType::Int16: return convert_as<std::int16_t>(src, n, out);
    case DType::Int32: return convert_as<std::int32_t>(src, n, out);
    case DType::Int64: return convert_as<std::int64_t>(src, n, out);
    case DType::UInt8: return convert_as<std::uint8_t>(src, n, out);
    case DType::UInt16: return convert_as<std::uint16_t>(src, n, out);
    case DType::UInt32: return convert_as<std::uint32_t>(src, n, out);
    case DType::UInt64: return convert_as<std::uint64_t>(src, n, out);
    case DType::Float16:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t v;
        std::memcpy(&v, src + 2 * i, 2);
        out[i] = half_to_float(v);
      }
      return;
    case DType::Float32: std::memcpy(out, src, n * sizeof(float)); return;
    case DType::Float64: return convert_as<double>(src, n, out);
    case DType::Bytes:
    case DType::Unicode: break;  // refused before reading (is_numeric)
  }
}

// Appends code point c to out as UTF-8; false if c is no Unicode scalar value.
bool append_utf8(std::uint32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    if (c >= 0xd800 && c < 0xe000) return false;  // a surrogate
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x110000) {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    return false;
  }
  return true;
}

std::string py_shape(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// Reads a file sequentially from an offset.
class FileReader final : public ByteReader {
 public:
  FileReader(const InFile& in, std::uint64_t offset, std::string what)
      : in_(in), pos_(offset), what_(std::move(what)) {}
  void read_exact(char* dst, std::size_t n) override {
    in_.read_at(pos_, dst, n, what_);
    pos_ += n;
  }

 private:
  const InFile& in_;
  std::uint64_t pos_;
  std::string what_;
};

class NpyFile final : public ArrayFile {
 public:
  explicit NpyFile(const fs::path& file) : ArrayFile(file), in_(file), name_(file.stem().string()) {
    const std::string where = file.string();
    char prefix[kNpyPrefix];
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), kNpyPrefix));
    in_.read_at(0, prefix, n, "the .npy header");
    const std::uint64_t size = npy_header_size(where, prefix, n, in_.size());
    std::string header(static_cast<std::size_t>(size), '\0');
    in_.read_at(0, header.data(), header.size(), "the .npy header");
    h_ = parse_npy_header(where, header);
    // Bytes after the data are allowed: numpy appends arrays when np.save writes one open file twice.
    if (in_.size() - h_.data_offset < h_.data_bytes)
      fail(file, "truncated: the header says shape " + to_string(h_.shape) + " of " + h_.dtype_name + ", " +
                     std::to_string(h_.data_bytes) + " bytes of data, but the file holds " +
                     std::to_string(in_.size() - h_.data_offset) + " after the header");
  }

  std::vector<std::string> names() const override { return {name_}; }
  bool has(const std::string& name) const override { return name == name_; }
  Shape shape(const std::string& name) const override {
    check(name);
    return h_.shape;
  }
  std::string dtype(const std::string& name) const override {
    check(name);
    return h_.dtype_name;
  }

  Array read(const std::string& name) const override {
    check(name);
    if (!is_numeric(h_)) not_numeric(path(), name, h_.dtype_name);
    return read_elements(name, 0, h_.count, h_.shape);
  }

  Array read_rows(const std::string& name, std::int64_t first, std::int64_t count) const override {
    check(name);
    if (!is_numeric(h_)) not_numeric(path(), name, h_.dtype_name);
    const Rows r = row_range(path(), name, h_.shape, first, count);
    return read_elements(name, r.first_element, r.elements, r.shape);
  }

  std::vector<std::string> strings(const std::string& name) const override {
    check(name);
    if (is_numeric(h_)) not_strings(path(), name, h_.dtype_name);
    std::vector<std::string> out = allocate_strings(path(), name, h_.shape, h_.count);
    FileReader reader(in_, h_.data_offset, "the data");
    read_npy_strings(reader, h_, h_.count, path().string(), out);
    return out;
  }

 private:
  void check(const std::string& name) const {
    if (name != name_) no_dataset(path(), name, names());
  }

  Array read_elements(const std::string& name, std::uint64_t first, std::uint64_t count, const Shape& shape) const {
    Array a{name, shape, allocate_values(path(), name, shape, count), h_.dtype_name};
    FileReader reader(in_, h_.data_offset + first * h_.itemsize, "the data");
    read_npy_values(reader, h_, count, a.values.data());
    return a;
  }

  InFile in_;
  std::string name_;
  NpyHeader h_;
};

}  // namespace

std::uint64_t npy_header_size(const std::string& where, const char* bytes, std::size_t n, std::uint64_t available) {
  static const char magic[] = "\x93NUMPY";
  if (n < 6 || std::memcmp(bytes, magic, 6) != 0) {
    if (std::memcmp(bytes, magic, std::min<std::size_t>(n, 6)) == 0)
      throw Error(where + ": truncated: " + std::to_string(n) + " bytes, less than a .npy header");
    throw Error(where + ": not a .npy array (no \\x93NUMPY magic)");
  }
  if (n < 10) throw Error(where + ": truncated: " + std::to_string(n) + " bytes, less than a .npy header");
  const auto major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw Error(where + ": .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                " is not supported (only 1.0, 2.0 and 3.0)");
  std::uint64_t length = 0, prefix = 10;
  if (major == 1) {
    length = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned>(static_cast<unsigned char>(bytes[9])) << 8;
  } else {
    if (n < 12) throw Error(where + ": truncated: " + std::to_string(n) + " bytes, less than a .npy header");
    std::uint32_t l;
    std::memcpy(&l, bytes + 8, 4);
    length = l;
    prefix = 12;
  }
  if (length > kMaxHeader)
    throw Error(where + ": corrupt .npy header: it claims to be " + std::to_string(length) + " bytes long");
  if (prefix + length > available)
    throw Error(where + ": truncated: the .npy header is " + std::to_string(prefix + length) +
                " bytes, there are only " + std::to_string(available));
  return prefix + length;
}

NpyHeader parse_npy_header(const std::string& where, const std::string& header) {
  NpyHeader h;
  h.data_offset = header.size();
  const std::size_t prefix = header[6] == 1 ? 10 : 12;
  const PyValue dict = PyParser(header.substr(prefix), where).parse();
  if (dict.kind != PyValue::Kind::Dict) throw Error(where + ": corrupt .npy header: not a dictionary");

  set_dtype(h, key(dict, "descr", where), where);
  const PyValue& shape = key(dict, "shape", where);
  if (shape.kind != PyValue::Kind::Seq) throw Error(where + ": corrupt .npy header: 'shape' is not a tuple");
  for (const PyValue& d : shape.items) {
    if (d.kind != PyValue::Kind::Int || d.integer < 0)
      throw Error(where + ": corrupt .npy header: 'shape' holds something other than sizes");
    h.shape.push_back(d.integer);
  }
  h.count = element_count(h.shape, where);
  if (h.itemsize > 8 && h.count > std::numeric_limits<std::uint64_t>::max() / h.itemsize)
    throw Error(where + ": shape " + to_string(h.shape) + " of " + std::to_string(h.itemsize) +
                "-byte strings is impossibly large");
  h.data_bytes = h.count * h.itemsize;  // element_count leaves room for 8-byte items

  const PyValue& fortran = key(dict, "fortran_order", where);
  if (fortran.kind != PyValue::Kind::Bool) throw Error(where + ": corrupt .npy header: 'fortran_order' is not a bool");
  std::size_t long_axes = 0;
  for (const std::int64_t d : h.shape) long_axes += d > 1;
  if (fortran.boolean && long_axes > 1)  // with at most one axis longer than 1 both orders agree
    throw Error(where + ": Fortran-order (column-major) array of dtype " + h.dtype_name + " and shape " +
                to_string(h.shape) + " is not supported, only C order; save numpy.ascontiguousarray(a)");
  return h;
}

bool is_numeric(const NpyHeader& h) { return h.dtype != DType::Bytes && h.dtype != DType::Unicode; }

void read_npy_strings(ByteReader& in, const NpyHeader& h, std::uint64_t count, const std::string& where,
                      std::vector<std::string>& out) {
  // Whole strings in blocks of at least 64 kB (one string may be longer).
  const std::uint64_t per_block = std::max<std::uint64_t>(1, (std::uint64_t{1} << 16) / h.itemsize);
  std::vector<char> buffer(static_cast<std::size_t>(std::min(count, per_block) * h.itemsize));
  for (std::uint64_t done = 0; done < count;) {
    const auto n = static_cast<std::size_t>(std::min(count - done, per_block));
    in.read_exact(buffer.data(), n * h.itemsize);
    for (std::size_t i = 0; i < n; ++i) {
      const char* p = buffer.data() + i * h.itemsize;
      if (h.dtype == DType::Bytes) {
        std::size_t length = h.itemsize;
        while (length > 0 && p[length - 1] == '\0') --length;
        out.emplace_back(p, length);
        continue;
      }
      std::size_t length = h.itemsize / 4;
      std::uint32_t c = 0;
      while (length > 0 && (std::memcpy(&c, p + 4 * (length - 1), 4), c == 0)) --length;
      std::string s;
      for (std::size_t k = 0; k < length; ++k) {
        std::memcpy(&c, p + 4 * k, 4);
        if (!append_utf8(c, s))
          throw Error(where + ": corrupt string " + std::to_string(done + i) + ": code point " + std::to_string(c) +
                      " is not Unicode");
      }
      out.push_back(std::move(s));
    }
    done += n;
  }
}

void read_npy_values(ByteReader& in, const NpyHeader& h, std::uint64_t count, float* out) {
  if (h.dtype == DType::Float32) {  // little-endian float32 as stored: straight into place
    in.read_exact(reinterpret_cast<char*>(out), static_cast<std::size_t>(count * sizeof(float)));
    return;
  }
  constexpr std::uint64_t chunk = 1 << 16;
  std::vector<char> buffer(static_cast<std::size_t>(std::min(count, chunk) * h.itemsize));
  for (std::uint64_t done = 0; done < count;) {
    const auto n = static_cast<std::size_t>(std::min(count - done, chunk));
    in.read_exact(buffer.data(), n * h.itemsize);
    convert(h.dtype, buffer.data(), n, out + done);
    done += n;
  }
}

std::string npy_float32_header(const Shape& shape) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + py_shape(shape) + ", }";
  for (const std::size_t prefix : {10, 12}) {
    const std::size_t unpadded = prefix + dict.size() + 1;  // + '\n'
    const std::size_t length = dict.size() + 1 + (64 - unpadded % 64) % 64;
    if (prefix == 10 && length > 0xffff) continue;
    std::string out = "\x93NUMPY";
    out += prefix == 10 ? '\x01' : '\x02';
    out += '\0';
    for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((length >> (8 * i)) & 0xff);
    out += dict;
    out.append(length - dict.size() - 1, ' ');
    return out + '\n';
  }
  return {};  // unreachable: version 2.0 lengths reach 4 GB
}

std::unique_ptr<ArrayFile> open_npy(const fs::path& file) { return std::make_unique<NpyFile>(file); }

void write_npy(const fs::path& file, const fs::path& tmp, const ArrayView& array) {
  OutFile out(file, tmp);
  const std::string header = npy_float32_header(array.shape);
  out.write(header.data(), header.size());
  out.write(array.values.data(), array.values.size() * sizeof(float));
  out.close();
}

}  // namespace nac::data::detail
