//go:build aec_speex

package aec

// This file exists only to measure the pure-Go engine against libspeexdsp's echo canceller
// (Debian's libspeexdsp-dev) on the same signals: go test -tags aec_speex -run Speex -v
// ./audio/aec/. Normal builds never include it, so cgo is not required.

/*
#cgo pkg-config: speexdsp
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
*/
import "C"

import "unsafe"

// speexAEC runs speex_echo_cancellation + the preprocessor's residual echo suppression over
// aligned near/far signals at 16 kHz (far already at the microphone rate), frame by frame.
type speexAEC struct {
	st    *C.SpeexEchoState
	pp    *C.SpeexPreprocessState
	frame int
}

func newSpeexAEC(frame, tail, rate int) *speexAEC {
	s := &speexAEC{frame: frame}
	s.st = C.speex_echo_state_init(C.int(frame), C.int(tail))
	r := C.int(rate)
	C.speex_echo_ctl(s.st, C.SPEEX_ECHO_SET_SAMPLING_RATE, unsafe.Pointer(&r))
	s.pp = C.speex_preprocess_state_init(C.int(frame), C.int(rate))
	C.speex_preprocess_ctl(s.pp, C.SPEEX_PREPROCESS_SET_ECHO_STATE, unsafe.Pointer(s.st))
	return s
}

func (s *speexAEC) process(near, far, out []int16) {
	C.speex_echo_cancellation(s.st, (*C.spx_int16_t)(unsafe.Pointer(&near[0])),
		(*C.spx_int16_t)(unsafe.Pointer(&far[0])), (*C.spx_int16_t)(unsafe.Pointer(&out[0])))
	C.speex_preprocess_run(s.pp, (*C.spx_int16_t)(unsafe.Pointer(&out[0])))
}

func (s *speexAEC) close() {
	C.speex_preprocess_state_destroy(s.pp)
	C.speex_echo_state_destroy(s.st)
}
