// .npz files: ZIP archives of .npy members (numpy.savez stores them, numpy.savez_compressed
// deflates them; both force ZIP64 extra fields into the local headers). The central directory at
// the end of the archive lists the members; ZIP64 end records and extra fields give sizes and
// offsets of 4 GB and more. The reader checks each member's CRC-32 the first time its data is read.
#include <algorithm>
#include <mutex>
#include <string_view>

#include <zlib.h>

#include "array_formats.hpp"
#include "nac/error.hpp"

namespace nac::data::detail {

namespace {

constexpr std::uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50,
                        kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr std::uint32_t k32 = 0xffffffff;  // a 32-bit field saying "see the ZIP64 record"
constexpr std::uint16_t k16 = 0xffff;
constexpr std::uint64_t kMaxDeflateRatio = 1032;  // deflate cannot compress better than this

std::uint64_t le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}

// Reads little-endian fields from a block of bytes; running past its end is a corrupt archive.
class Cursor {
 public:
  Cursor(const std::string& bytes, std::string where, std::string what)
      : b_(bytes), where_(std::move(where)), what_(std::move(what)) {}
  Cursor(std::string&&, std::string, std::string) = delete;  // it keeps a reference to the bytes
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(take(2), 2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(take(4), 4)); }
  std::uint64_t u64() { return le(take(8), 8); }
  std::string bytes(std::size_t n) { return std::string(take(n), n); }
  void skip(std::size_t n) { take(n); }
  std::size_t left() const { return b_.size() - p_; }

 private:
  const char* take(std::size_t n) {
    if (n > left()) throw Error(where_ + ": corrupt ZIP archive: " + what_ + " is cut short");
    p_ += n;
    return b_.data() + p_ - n;
  }
  const std::string& b_;
  const std::string where_, what_;
  std::size_t p_ = 0;
};

std::uint32_t crc_update(std::uint32_t crc, const void* data, std::size_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    const auto step = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = static_cast<std::uint32_t>(crc32(crc, p, step));
    p += step;
    n -= step;
  }
  return crc;
}

std::string hex32(std::uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08x", v);
  return s;
}

struct Member {
  std::string zip_name, name;  // "x.npy", "x"
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed = 0, size = 0, local_offset = 0, data_start = 0;
  NpyHeader header;
};

// Streams a member's uncompressed bytes in order (inflating a deflated member), computing their
// CRC-32 if asked to.
class MemberReader final : public ByteReader {
 public:
  MemberReader(const InFile& in, const Member& m, bool check_crc)
      : in_(in), m_(m), check_crc_(check_crc), what_("member '" + m.zip_name + "'") {
    if (m.method == 8) {
      if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) corrupt("zlib cannot start inflating");
      inflating_ = true;
      input_.resize(1 << 16);
    }
  }
  ~MemberReader() override {
    if (inflating_) inflateEnd(&z_);
  }
  MemberReader(const MemberReader&) = delete;
  MemberReader& operator=(const MemberReader&) = delete;

  void read_exact(char* dst, std::size_t n) override {
    if (n > m_.size - produced_)
      fail(in_.path(),
           "truncated: " + what_ + " holds " + std::to_string(m_.size) + " bytes, fewer than its array needs");
    if (m_.method == 0) in_.read_at(m_.data_start + produced_, dst, n, what_);
    else inflate_into(dst, n);
    if (check_crc_) crc_ = crc_update(crc_, dst, n);
    produced_ += n;
  }

  void skip(std::uint64_t n) {
    if (m_.method == 0 && !check_crc_ && n <= m_.size - produced_) {
      produced_ += n;
      return;
    }
    char scratch[1 << 14];
    while (n > 0) {
      const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof scratch));
      read_exact(scratch, step);
      n -= step;
    }
  }

  /// Reads the rest of the member, checks that the deflated data ends with it, and checks the CRC.
  void finish() {
    skip(m_.size - produced_);
    if (inflating_ && !stream_end_) {
      char extra;
      z_.next_out = reinterpret_cast<Bytef*>(&extra);
      z_.avail_out = 1;
      while (!stream_end_) {
        step();
        if (z_.avail_out == 0) corrupt("the deflated data is longer than the member's size");
      }
    }
    if (check_crc_ && crc_ != m_.crc)
      corrupt("CRC-32 mismatch (the archive says " + hex32(m_.crc) + ", the data has " + hex32(crc_) + ")");
  }

 private:
  [[noreturn]] void corrupt(const std::string& what) const { fail(in_.path(), "corrupt " + what_ + ": " + what); }

  // One call of inflate, refilling its input first if needed.
  void step() {
    if (z_.avail_in == 0 && consumed_ < m_.compressed) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(input_.size(), m_.compressed - consumed_));
      in_.read_at(m_.data_start + consumed_, input_.data(), n, what_);
      consumed_ += n;
      z_.next_in = input_.data();
      z_.avail_in = static_cast<uInt>(n);
    }
    const int ret = inflate(&z_, Z_NO_FLUSH);
    if (ret == Z_STREAM_END) {
      stream_end_ = true;
    } else if (ret == Z_BUF_ERROR) {  // no progress: the input is used up
      corrupt("the deflated data ends early");
    } else if (ret != Z_OK) {
      corrupt(std::string("bad deflated data (") + (z_.msg ? z_.msg : zError(ret)) + ")");
    }
  }

  void inflate_into(char* dst, std::size_t n) {
    z_.next_out = reinterpret_cast<Bytef*>(dst);
    while (n > 0) {
      const auto chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
      z_.avail_out = chunk;
      while (z_.avail_out > 0) {
        if (stream_end_)
          corrupt("the deflated data ends before the member's size of " + std::to_string(m_.size) + " bytes");
        step();
      }
      n -= chunk;
    }
  }

  const InFile& in_;
  const Member& m_;
  const bool check_crc_;
  const std::string what_;
  std::uint64_t produced_ = 0;  // uncompressed bytes delivered or skipped
  std::uint32_t crc_ = 0;
  z_stream z_{};
  bool inflating_ = false, stream_end_ = false;
  std::vector<Bytef> input_;
  std::uint64_t consumed_ = 0;  // compressed bytes read
};

class NpzFile final : public ArrayFile {
 public:
  explicit NpzFile(const fs::path& file) : ArrayFile(file), in_(file) {
    read_directory();
    for (Member& m : members_) read_npy_header(m);
    verified_.assign(members_.size(), false);
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const Member& m : members_) out.push_back(m.name);
    return out;
  }
  bool has(const std::string& name) const override { return find(name) != nullptr; }
  Shape shape(const std::string& name) const override { return member(name).header.shape; }
  std::string dtype(const std::string& name) const override { return member(name).header.dtype_name; }

  Array read(const std::string& name) const override {
    const Member& m = member(name);
    if (!is_numeric(m.header)) not_numeric(path(), name, m.header.dtype_name);
    Array a{name, m.header.shape, allocate_values(path(), name, m.header.shape, m.header.count), m.header.dtype_name};
    MemberReader r(in_, m, true);
    r.skip(m.header.data_offset);
    read_npy_values(r, m.header, m.header.count, a.values.data());
    r.finish();
    set_verified(m);
    return a;
  }

  Array read_rows(const std::string& name, std::int64_t first, std::int64_t count) const override {
    const Member& m = member(name);
    if (!is_numeric(m.header)) not_numeric(path(), name, m.header.dtype_name);
    const Rows rows = row_range(path(), name, m.header.shape, first, count);
    Array a{name, rows.shape, allocate_values(path(), name, rows.shape, rows.elements), m.header.dtype_name};
    const bool verified = is_verified(m);
    MemberReader r(in_, m, !verified);
    r.skip(m.header.data_offset + rows.first_element * m.header.itemsize);
    read_npy_values(r, m.header, rows.elements, a.values.data());
    if (!verified) {  // the first read of a member reads it all once, to check its CRC
      r.finish();
      set_verified(m);
    }
    return a;
  }

  std::vector<std::string> strings(const std::string& name) const override {
    const Member& m = member(name);
    if (is_numeric(m.header)) not_strings(path(), name, m.header.dtype_name);
    std::vector<std::string> out = allocate_strings(path(), name, m.header.shape, m.header.count);
    MemberReader r(in_, m, true);
    r.skip(m.header.data_offset);
    read_npy_strings(r, m.header, m.header.count, path().string() + ": member '" + m.zip_name + "'", out);
    r.finish();
    set_verified(m);
    return out;
  }

 private:
  [[noreturn]] void corrupt(const std::string& what) const { fail(path(), "corrupt ZIP archive: " + what); }

  const Member* find(const std::string& name) const {
    for (const Member& m : members_)
      if (m.name == name) return &m;
    return nullptr;
  }
  const Member& member(const std::string& name) const {
    const Member* m = find(name);
    if (!m) no_dataset(path(), name, names());
    return *m;
  }
  bool is_verified(const Member& m) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return verified_[static_cast<std::size_t>(&m - members_.data())];
  }
  void set_verified(const Member& m) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    verified_[static_cast<std::size_t>(&m - members_.data())] = true;
  }

  std::string read_bytes(std::uint64_t offset, std::uint64_t n, const std::string& what) const {
    std::string s(static_cast<std::size_t>(n), '\0');
    in_.read_at(offset, s.data(), s.size(), what);
    return s;
  }

  void read_directory() {
    const std::string where = path().string();
    const std::uint64_t size = in_.size();
    if (size < 22) fail(path(), "truncated: " + std::to_string(size) + " bytes, too short for a ZIP archive");

    // The end record: 22 bytes and a comment of up to 65535 bytes at the end of the file.
    const std::uint64_t tail = std::min<std::uint64_t>(size, 22 + 0xffff);
    const std::string t = read_bytes(size - tail, tail, "the ZIP end record");
    std::size_t at = std::string::npos;
    for (std::size_t i = static_cast<std::size_t>(tail - 22) + 1; i-- > 0;) {
      if (le(&t[i], 4) == kEndSig && i + 22 + le(&t[i + 20], 2) <= tail) {
        at = i;
        break;
      }
    }
    if (at == std::string::npos)
      fail(path(), "truncated or corrupt ZIP archive: no end-of-central-directory record (is the file cut short?)");
    const std::uint64_t end = size - tail + at;
    const std::string end_record = t.substr(at, 22);
    Cursor e(end_record, where, "the end record");
    e.skip(4);
    std::uint64_t disk = e.u16(), cd_disk = e.u16(), disk_entries = e.u16(), entries = e.u16();
    std::uint64_t cd_size = e.u32(), cd_offset = e.u32(), cd_limit = end;
    if (entries == k16 || disk_entries == k16 || cd_size == k32 || cd_offset == k32) {
      if (end < 20) corrupt("ZIP64 end-record locator missing");
      const std::string l = read_bytes(end - 20, 20, "the ZIP64 end-record locator");
      Cursor loc(l, where, "the ZIP64 end-record locator");
      if (loc.u32() != kZip64LocatorSig) corrupt("ZIP64 end-record locator missing");
      loc.skip(4);
      const std::uint64_t z64 = loc.u64();
      if (z64 > end - 20 || end - 20 - z64 < 56) corrupt("bad ZIP64 end-record offset");
      const std::string r = read_bytes(z64, 56, "the ZIP64 end record");
      Cursor z(r, where, "the ZIP64 end record");
      if (z.u32() != kZip64EndSig) corrupt("ZIP64 end record missing");
      z.skip(12);  // record size, versions
      disk = z.u32();
      cd_disk = z.u32();
      disk_entries = z.u64();
      entries = z.u64();
      cd_size = z.u64();
      cd_offset = z.u64();
      cd_limit = z64;
    }
    if (disk != 0 || cd_disk != 0 || disk_entries != entries)
      fail(path(), "multi-volume (split) ZIP archives are not supported");
    if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
      corrupt("the central directory (" + std::to_string(cd_size) + " bytes at " + std::to_string(cd_offset) +
              ") lies outside the file");
    if (entries > cd_size / 46)
      corrupt("the central directory is too small for its " + std::to_string(entries) + " entries");

    const std::string cd = read_bytes(cd_offset, cd_size, "the ZIP central directory");
    Cursor c(cd, where, "the central directory");
    for (std::uint64_t i = 0; i < entries; ++i) {
      if (c.u32() != kCentralSig) corrupt("central directory entry " + std::to_string(i) + " has a bad signature");
      c.skip(4);  // versions
      const std::uint16_t flags = c.u16();
      Member m;
      m.method = c.u16();
      c.skip(4);  // time, date
      m.crc = c.u32();
      m.compressed = c.u32();
      m.size = c.u32();
      const std::uint16_t name_length = c.u16(), extra_length = c.u16(), comment_length = c.u16();
      const std::uint16_t disk_start = c.u16();
      c.skip(6);  // attributes
      m.local_offset = c.u32();
      m.zip_name = c.bytes(name_length);
      const std::string extra = c.bytes(extra_length);
      c.skip(comment_length);
      read_zip64_extra(m, disk_start, extra);

      constexpr std::string_view suffix = ".npy";
      if (m.zip_name.size() <= suffix.size() || !m.zip_name.ends_with(suffix)) continue;  // not an array
      m.name = m.zip_name.substr(0, m.zip_name.size() - suffix.size());
      if (flags & 1) fail(path(), "member '" + m.zip_name + "' is encrypted; encrypted archives are not supported");
      if (m.method != 0 && m.method != 8)
        fail(path(), "member '" + m.zip_name + "' uses compression method " + std::to_string(m.method) +
                         "; only stored (0) and deflated (8) members are supported, as numpy writes them");
      locate_data(m, cd_offset);
      bool replaced = false;  // a later member of the same name wins, as in Python's zipfile
      for (Member& old : members_)
        if (old.name == m.name) {
          old = m;
          replaced = true;
        }
      if (!replaced) members_.push_back(std::move(m));
    }
  }

  void read_zip64_extra(Member& m, std::uint16_t disk_start, const std::string& extra) const {
    const bool need = m.size == k32 || m.compressed == k32 || m.local_offset == k32 || disk_start == k16;
    const std::string what = "the extra fields of member '" + m.zip_name + "'";
    Cursor x(extra, path().string(), what);
    while (need && x.left() >= 4) {
      const std::uint16_t id = x.u16(), length = x.u16();
      const std::string body = x.bytes(length);
      if (id != 1) continue;
      Cursor z(body, path().string(), "the ZIP64 extra field of member '" + m.zip_name + "'");
      if (m.size == k32) m.size = z.u64();
      if (m.compressed == k32) m.compressed = z.u64();
      if (m.local_offset == k32) m.local_offset = z.u64();
      if (disk_start == k16) disk_start = static_cast<std::uint16_t>(z.u32());
      return;
    }
    if (need) corrupt("member '" + m.zip_name + "' needs a ZIP64 extra field and has none");
  }

  void locate_data(Member& m, std::uint64_t cd_offset) const {
    const std::string what = "the local header of member '" + m.zip_name + "'";
    const std::string h = read_bytes(m.local_offset, 30, what);
    if (le(h.data(), 4) != kLocalSig) corrupt("member '" + m.zip_name + "': bad local header signature");
    m.data_start = m.local_offset + 30 + le(&h[26], 2) + le(&h[28], 2);
    if (m.data_start > cd_offset || m.compressed > cd_offset - m.data_start)
      corrupt("member '" + m.zip_name + "' runs into the central directory");
    if (m.method == 0 && m.compressed != m.size)
      corrupt("stored member '" + m.zip_name + "' has a compressed size other than its size");
    if (m.method == 8 && m.size > m.compressed * kMaxDeflateRatio + 1024)
      corrupt("member '" + m.zip_name + "' claims " + std::to_string(m.size) + " bytes from " +
              std::to_string(m.compressed) + " deflated bytes");
  }

  void read_npy_header(Member& m) const {
    const std::string where = path().string() + ": member '" + m.zip_name + "'";
    MemberReader r(in_, m, false);
    char prefix[kNpyPrefix];
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(m.size, kNpyPrefix));
    r.read_exact(prefix, n);
    const std::uint64_t size = npy_header_size(where, prefix, n, m.size);
    std::string header(prefix, static_cast<std::size_t>(std::min<std::uint64_t>(size, n)));
    if (size > n) {
      header.resize(static_cast<std::size_t>(size));
      r.read_exact(header.data() + n, header.size() - n);
    }
    m.header = parse_npy_header(where, header);
    if (m.size - m.header.data_offset < m.header.data_bytes)
      fail(path(), "truncated member '" + m.zip_name + "': its header says shape " + to_string(m.header.shape) +
                       " of " + m.header.dtype_name + ", " + std::to_string(m.header.data_bytes) +
                       " bytes of data, but it holds " + std::to_string(m.size - m.header.data_offset));
  }

  InFile in_;
  std::vector<Member> members_;
  mutable std::mutex mutex_;
  mutable std::vector<bool> verified_;  // CRC-32 checked
};

// Little-endian fields for the writer.
class Bytes {
 public:
  Bytes& u16(std::uint64_t v) { return put(v, 2); }
  Bytes& u32(std::uint64_t v) { return put(v, 4); }
  Bytes& u64(std::uint64_t v) { return put(v, 8); }
  Bytes& raw(const std::string& s) {
    s_ += s;
    return *this;
  }
  const std::string& str() const { return s_; }

 private:
  Bytes& put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s_ += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  std::string s_;
};

}  // namespace

std::unique_ptr<ArrayFile> open_npz(const fs::path& file) { return std::make_unique<NpzFile>(file); }

void write_npz(const fs::path& file, const fs::path& tmp, const std::vector<ArrayView>& arrays) {
  struct Written {
    std::string zip_name;
    std::uint32_t crc;
    std::uint64_t size, offset;
    bool utf8;
  };
  constexpr std::uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, 00:00
  const auto fits = [](std::uint64_t v) { return v < k32; };
  std::vector<Written> written;
  OutFile out(file, tmp);
  for (const ArrayView& a : arrays) {
    Written w{a.name + ".npy", 0, 0, out.offset(), false};
    if (w.zip_name.size() > 0xffff)
      fail(file, "array name '" + a.name.substr(0, 40) + "...' is too long for a ZIP archive");
    for (const char ch : w.zip_name) w.utf8 |= static_cast<unsigned char>(ch) >= 0x80;
    const std::string header = npy_float32_header(a.shape);
    const std::size_t data_bytes = a.values.size() * sizeof(float);
    w.size = header.size() + data_bytes;
    w.crc = crc_update(crc_update(0, header.data(), header.size()), a.values.data(), data_bytes);
    const bool zip64 = !fits(w.size);
    Bytes h;
    h.u32(kLocalSig).u16(zip64 ? 45 : 20).u16(w.utf8 ? 0x800 : 0).u16(0).u16(0).u16(kDosDate).u32(w.crc);
    h.u32(zip64 ? k32 : w.size).u32(zip64 ? k32 : w.size).u16(w.zip_name.size()).u16(zip64 ? 20 : 0);
    h.raw(w.zip_name);
    if (zip64) h.u16(1).u16(16).u64(w.size).u64(w.size);
    out.write(h.str().data(), h.str().size());
    out.write(header.data(), header.size());
    out.write(a.values.data(), data_bytes);
    written.push_back(std::move(w));
  }

  const std::uint64_t cd_offset = out.offset();
  for (const Written& w : written) {
    Bytes extra;
    if (!fits(w.size)) extra.u64(w.size).u64(w.size);
    if (!fits(w.offset)) extra.u64(w.offset);
    const bool zip64 = !extra.str().empty();
    Bytes c;
    c.u32(kCentralSig).u16(3 << 8 | (zip64 ? 45 : 20)).u16(zip64 ? 45 : 20).u16(w.utf8 ? 0x800 : 0).u16(0);
    c.u16(0).u16(kDosDate).u32(w.crc).u32(fits(w.size) ? w.size : k32).u32(fits(w.size) ? w.size : k32);
    c.u16(w.zip_name.size()).u16(zip64 ? 4 + extra.str().size() : 0).u16(0).u16(0).u16(0);
    c.u32(0100644u << 16).u32(fits(w.offset) ? w.offset : k32).raw(w.zip_name);
    if (zip64) c.u16(1).u16(extra.str().size()).raw(extra.str());
    out.write(c.str().data(), c.str().size());
  }
  const std::uint64_t cd_size = out.offset() - cd_offset, entries = written.size();
  Bytes end;
  if (entries >= k16 || !fits(cd_size) || !fits(cd_offset)) {
    const std::uint64_t z64 = out.offset();
    end.u32(kZip64EndSig).u64(44).u16(45).u16(45).u32(0).u32(0).u64(entries).u64(entries).u64(cd_size).u64(cd_offset);
    end.u32(kZip64LocatorSig).u32(0).u64(z64).u32(1);
  }
  end.u32(kEndSig).u16(0).u16(0).u16(std::min<std::uint64_t>(entries, k16)).u16(std::min<std::uint64_t>(entries, k16));
  end.u32(fits(cd_size) ? cd_size : k32).u32(fits(cd_offset) ? cd_offset : k32).u16(0);
  out.write(end.str().data(), end.str().size());
  out.close();
}

}  // namespace nac::data::detail
