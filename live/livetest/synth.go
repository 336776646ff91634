package livetest

import (
	"encoding/binary"
	"math"
	"unicode"
)

// OutputRate is the sample rate of the model audio the fake sends (s16le mono).
const OutputRate = 24000

// InputRate is the sample rate the fake expects from clients (s16le mono).
const InputRate = 16000

// Synthesize renders text as speech-like audio: s16le mono at 24 kHz. Each word
// becomes voiced syllables (a gliding 110–150 Hz pitch with vowel-like formants
// chosen from its letters) separated by short gaps, with longer pauses at
// punctuation. The length grows with the text (about 65 ms per letter); the same
// text always gives the same bytes. Empty text gives nil.
func Synthesize(text string) []byte {
	var s synth
	for _, r := range text {
		s.rune(r)
	}
	s.endWord()
	if len(s.out) == 0 {
		return nil
	}
	b := make([]byte, 2*len(s.out))
	for i, v := range s.out {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// Vowel formants (F1, F2 in Hz), picked per syllable from the word's letters.
var formants = [...][2]float64{
	{730, 1090}, // a
	{530, 1840}, // e
	{270, 2290}, // i
	{570, 840},  // o
	{300, 870},  // u
	{660, 1720}, // ae
	{490, 1350}, // schwa
}

const (
	msPerLetter = 65
	wordGapMs   = 70
	pauseMs     = 260
	tableSize   = 256
)

type synth struct {
	out    []int16
	word   []rune
	nWords int
	phase  float64
	table  [tableSize]float64
}

func (s *synth) rune(r rune) {
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		s.word = append(s.word, unicode.ToLower(r))
	case r == '.' || r == ',' || r == '!' || r == '?' || r == ';' || r == ':' || r == '\n':
		s.endWord()
		if len(s.out) > 0 {
			s.silence(pauseMs)
		}
	default:
		s.endWord()
	}
}

func (s *synth) endWord() {
	if len(s.word) == 0 {
		return
	}
	if s.nWords > 0 {
		s.silence(wordGapMs)
	}
	// One syllable per ~3 letters; each syllable gets its share of the word.
	n := max(1, (len(s.word)+2)/3)
	total := len(s.word) * msPerLetter * OutputRate / 1000
	per := total / n
	for i := range n {
		seed := 0
		for j := i * 3; j < min(len(s.word), i*3+3); j++ {
			seed = seed*31 + int(s.word[j])
		}
		s.syllable(per, seed, s.nWords+i)
	}
	s.word = s.word[:0]
	s.nWords++
}

func (s *synth) silence(msDur int) {
	n := msDur * OutputRate / 1000
	for range n {
		s.out = append(s.out, 0)
	}
}

// syllable renders n samples of a voiced sound: one pitch period is built by
// additive synthesis (harmonics weighted by two formant resonances) and played
// from a wavetable at a gliding pitch, under an attack/decay envelope.
func (s *synth) syllable(n, seed, idx int) {
	if n <= 0 {
		return
	}
	fm := formants[(seed&0x7fffffff)%len(formants)]
	f0a := 120.0 + float64(idx%5)*6
	f0b := f0a + 18 - float64(seed%3)*12 // rise or fall across the syllable
	mid := (f0a + f0b) / 2
	for i := range s.table {
		s.table[i] = 0
	}
	for k := 1; float64(k)*mid < 3800; k++ {
		fk := float64(k) * mid
		g := resonance(fk, fm[0], 90) + 0.6*resonance(fk, fm[1], 120) + 0.15/float64(k)
		for i := range s.table {
			s.table[i] += g * math.Sin(2*math.Pi*float64(k*i)/tableSize)
		}
	}
	peak := 0.0
	for _, v := range s.table {
		peak = max(peak, math.Abs(v))
	}
	scale := 0.35 * 32767 / peak
	attack := min(n/4, 12*OutputRate/1000)
	release := min(n/3, 40*OutputRate/1000)
	for i := range n {
		t := float64(i) / float64(n)
		f0 := f0a + (f0b-f0a)*t
		s.phase += f0 / OutputRate
		s.phase -= math.Floor(s.phase)
		x := s.phase * tableSize
		j := int(x)
		frac := x - float64(j)
		v := s.table[j]*(1-frac) + s.table[(j+1)%tableSize]*frac
		env := 1.0
		if i < attack {
			env = float64(i) / float64(attack)
		} else if i > n-release {
			env = float64(n-i) / float64(release)
		}
		s.out = append(s.out, int16(v*scale*env))
	}
}

func resonance(f, center, bw float64) float64 {
	d := (f - center) / bw
	return 1 / (1 + d*d)
}
