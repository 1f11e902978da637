package palisade

import "unsafe"

// The exports of ABI v1 (sdk/ABI.md section 1). Go's garbage collector does
// not move objects, so an address stays valid while a reference is kept:
// input buffers stay in pending until load or evaluate takes them, and the
// last reply stays in reply until the next call replaces it.

var (
	pending = map[int32][]byte{}
	reply   []byte
)

func addr(b []byte) int32 { return int32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

// packed keeps out alive as the reply and returns (len << 32) | address.
func packed(out []byte) int64 {
	reply = out
	if len(out) == 0 {
		return 0
	}
	return int64(len(out))<<32 | int64(uint32(addr(out)))
}

// take removes the buffer at ptr from pending and returns its first n bytes.
func take(ptr, n int32) ([]byte, bool) {
	buf, ok := pending[ptr]
	delete(pending, ptr)
	if !ok || n < 0 || int(n) > len(buf) {
		return nil, false
	}
	return buf[:n], true
}

//go:wasmexport palisade_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport palisade_alloc
func alloc(n int32) int32 {
	if n < 0 {
		return 0
	}
	buf := make([]byte, max(n, 1)) // a non-zero address even for 0 bytes
	p := addr(buf)
	pending[p] = buf
	return p
}

//go:wasmexport palisade_describe
func describe() int64 { return packed(Describe()) }

//go:wasmexport palisade_load
func load(ptr, n int32) int64 {
	in, ok := take(ptr, n)
	if !ok {
		batch = nil
		return packed(errorReply("the batch buffer was not allocated by palisade_alloc"))
	}
	return packed(Load(in))
}

//go:wasmexport palisade_evaluate
func evaluate(ptr, n int32) int64 {
	in, ok := take(ptr, n)
	if !ok {
		return packed(errorReply("the request buffer was not allocated by palisade_alloc"))
	}
	return packed(Evaluate(in))
}
