package ui

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/catalog"
	"github.com/livedesk/livedesk/settings"
)

// choice is a Select whose shown labels map to stored values.
type choice struct {
	*widget.Select
	values []string
}

func newChoice(values []string, label func(string) string, changed func(string)) *choice {
	labels := make([]string, len(values))
	for i, v := range values {
		labels[i] = label(v)
	}
	c := &choice{values: values}
	c.Select = widget.NewSelect(labels, func(string) {
		if changed != nil {
			changed(c.value())
		}
	})
	return c
}

func (c *choice) value() string {
	if i := c.SelectedIndex(); i >= 0 {
		return c.values[i]
	}
	return ""
}

// set selects v, adding it if unknown so a saved value is never silently lost.
func (c *choice) set(v string) {
	i := slices.Index(c.values, v)
	if i < 0 {
		c.values = append(c.values, v)
		c.Options = append(c.Options, v)
		i = len(c.values) - 1
	}
	c.SetSelectedIndex(i)
}

// setValues replaces the options, keeping the selection if it is still offered ("" otherwise).
func (c *choice) setValues(values []string, label func(string) string) {
	cur := c.value()
	c.values = values
	c.Options = make([]string, len(values))
	for i, v := range values {
		c.Options[i] = label(v)
	}
	if !slices.Contains(values, cur) {
		cur = ""
	}
	if cur == "" && !slices.Contains(values, "") {
		c.ClearSelected() // nothing to keep, and "" is not an option here
	} else {
		c.set(cur)
	}
	c.Refresh()
}

func orDefault(label string) func(string) string {
	return func(v string) string {
		if v == "" {
			return lang.L(label)
		}
		return v
	}
}

// settingsForm is the settings dialog's widgets. It lives on the Fyne goroutine.
type settingsForm struct {
	w *Window

	key       *widget.Entry
	keyStatus *widget.Label
	allowFile *widget.Check
	endpoint  *widget.Entry
	backend   *choice
	vertex    *fyne.Container // the Vertex AI fields, shown for that backend only
	project   *widget.Entry
	location  *widget.SelectEntry
	keyFile   *widget.Entry
	model     *choice
	voice     *choice
	language  *choice
	instr     *widget.Entry

	inTr, outTr             *widget.Check
	autoVAD                 *widget.Check
	startSens, endSens      *choice
	prefixPad, silence      *widget.Entry
	activity                *choice
	pttKey                  *widget.Entry
	globalPTT, globalMute   *widget.Entry
	globalStop              *widget.Entry
	fps, maxSize, jpegQ     *widget.Entry
	mediaRes                *choice
	skipUnchanged           *widget.Check
	hideOwn                 *widget.Check
	framePolicy             *choice
	idleSec                 *widget.Entry
	frameNote               *widget.Label
	mic, speaker            *choice
	headphones, speakerMode *widget.Check
	echo                    *choice
	volume                  *widget.Slider

	compression, proactive, affective *widget.Check
	thinking                          *choice
	proactiveNote, affectiveNote      *widget.Label
	thinkingNote, toolsNote           *widget.Label
	proactiveWant, affectiveWant      bool
	googleSearch                      *widget.Check
	tools                             []*widget.Check
	toolNames                         []string

	errs    map[string]*widget.Label
	summary *widget.Label
	saveBtn *widget.Button
	dlg     *dialog.CustomDialog
	open    bool
}

func (f *settingsForm) errLabel(field string) *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	f.errs[field] = l
	return l
}

// item is a form row: the control with its error label under it.
func (f *settingsForm) item(label, field string, obj fyne.CanvasObject, hint string) *widget.FormItem {
	fi := widget.NewFormItem(lang.L(label), container.NewVBox(obj, f.errLabel(field)))
	if hint != "" {
		fi.HintText = lang.L(hint)
	}
	return fi
}

func numEntry(v string, changed func(string)) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(v)
	e.OnChanged = changed
	return e
}

func (w *Window) audioChoices(list func() ([]audio.Device, error)) []string {
	vals := []string{""}
	if w.opts.Devices == nil {
		return vals
	}
	ds, err := list()
	if err != nil {
		w.appendDiag(w.now(), "listing audio devices: "+err.Error())
	}
	for _, d := range ds {
		name := d.Name
		if name == "" {
			name = d.ID
		}
		vals = append(vals, name)
	}
	return vals
}

func (w *Window) newSettingsForm() *settingsForm {
	c := w.cfg
	f := &settingsForm{w: w, errs: map[string]*widget.Label{}}
	revalidate := func(string) { f.validate() }
	revalidateB := func(bool) { f.validate() }

	f.key = widget.NewPasswordEntry()
	f.key.SetPlaceHolder(lang.L("Paste your Gemini API key"))
	f.key.SetText(c.APIKey.Reveal())
	f.key.OnChanged = revalidate
	f.keyStatus = widget.NewLabel(w.keyStatusText())
	f.keyStatus.Wrapping = fyne.TextWrapWord
	f.allowFile = widget.NewCheck(lang.L("If there is no OS keyring, save the key in a file only I can read"), nil)
	f.allowFile.SetChecked(w.keySource == settings.KeyFile)
	if w.keySource == settings.KeyEnv {
		f.key.Disable()
		f.allowFile.Disable()
	}
	getKey, _ := url.Parse(APIKeyURL)
	f.endpoint = widget.NewEntry()
	f.endpoint.SetPlaceHolder(lang.L("Google (default)"))
	f.endpoint.SetText(c.Endpoint)
	f.endpoint.OnChanged = revalidate

	f.model = newChoice(catalog.ModelsFor(c.BackendOf()), func(v string) string { return v }, f.onModelChanged)
	f.project = widget.NewEntry()
	f.project.SetPlaceHolder(lang.L("Empty: express mode with an API key"))
	f.project.SetText(c.VertexProject)
	f.project.OnChanged = revalidate
	f.location = widget.NewSelectEntry(catalog.VertexLocations())
	f.location.SetText(c.VertexLocation)
	f.location.OnChanged = revalidate
	f.keyFile = widget.NewEntry()
	f.keyFile.SetPlaceHolder(lang.L("Application Default Credentials"))
	f.keyFile.SetText(c.VertexKeyFile)
	f.keyFile.OnChanged = revalidate
	chooseKey := widget.NewButton(lang.L("Choose…"), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			f.keyFile.SetText(r.URI().Path())
			r.Close()
		}, w.win)
		d.Show()
	})
	f.vertex = container.NewVBox(
		widget.NewForm(
			f.item("Google Cloud project", "VertexProject", f.project, ""),
			f.item("Location", "VertexLocation", f.location, "global, us, eu or a region such as us-central1"),
			f.item("Credentials", "VertexKeyFile", container.NewBorder(nil, nil, nil, chooseKey, f.keyFile),
				"A service-account key file; empty uses `gcloud auth application-default login`"),
		),
	)
	backends := make([]string, 0, 2)
	for _, b := range catalog.Backends() {
		backends = append(backends, string(b))
	}
	f.backend = newChoice(backends, func(v string) string { return lang.L(catalog.Backend(v).Title()) }, f.onBackendChanged)
	f.voice = newChoice(slices.Clone(catalog.Voices), func(v string) string { return v }, revalidate)
	f.language = newChoice(append([]string{""}, catalog.Languages...), orDefault("Automatic"), revalidate)
	f.instr = widget.NewMultiLineEntry()
	f.instr.SetMinRowsVisible(3)
	f.instr.Wrapping = fyne.TextWrapWord
	f.instr.SetPlaceHolder(lang.L("e.g. Answer briefly."))
	f.instr.SetText(c.SystemInstruction)
	f.instr.OnChanged = revalidate
	f.inTr = widget.NewCheck(lang.L("Transcribe what I say"), revalidateB)
	f.inTr.SetChecked(c.InputTranscription)
	f.outTr = widget.NewCheck(lang.L("Transcribe what Gemini says"), revalidateB)
	f.outTr.SetChecked(c.OutputTranscription)

	f.autoVAD = widget.NewCheck(lang.L("Detect speech automatically (off: push to talk)"), func(bool) { f.onVADChanged() })
	f.startSens = newChoice(slices.Clone(settings.Sensitivities), orDefault("Default"), revalidate)
	f.endSens = newChoice(slices.Clone(settings.Sensitivities), orDefault("Default"), revalidate)
	f.prefixPad = numEntry(strconv.Itoa(c.PrefixPaddingMs), revalidate)
	f.silence = numEntry(strconv.Itoa(c.SilenceDurationMs), revalidate)
	f.activity = newChoice(slices.Clone(settings.ActivityHandlings), func(v string) string {
		if v == settings.ActivityInterrupts {
			return lang.L("My speech interrupts Gemini")
		}
		return lang.L("Gemini finishes its answer")
	}, revalidate)
	f.pttKey = widget.NewEntry()
	f.pttKey.SetText(c.PushToTalkKey)
	f.pttKey.OnChanged = revalidate
	f.globalPTT, f.globalMute, f.globalStop = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.globalPTT.SetText(c.GlobalPushToTalk)
	f.globalMute.SetText(c.GlobalMute)
	f.globalStop.SetText(c.GlobalStopShare)
	for _, e := range []*widget.Entry{f.globalPTT, f.globalMute, f.globalStop} {
		e.OnChanged = revalidate
	}

	f.fps = numEntry(strconv.FormatFloat(c.FPS, 'g', -1, 64), revalidate)
	f.maxSize = numEntry(strconv.Itoa(c.MaxSize), revalidate)
	f.jpegQ = numEntry(strconv.Itoa(c.JPEGQuality), revalidate)
	f.mediaRes = newChoice(slices.Clone(settings.MediaResolutions), orDefault("Default"), revalidate)
	f.skipUnchanged = widget.NewCheck(lang.L("Skip frames that did not change"), revalidateB)
	f.skipUnchanged.SetChecked(c.SkipUnchanged)
	f.hideOwn = widget.NewCheck(lang.L("Hide Live Desk's own windows from Gemini"), revalidateB)
	f.hideOwn.SetChecked(c.HideOwnWindows)
	f.framePolicy = newChoice(slices.Clone(settings.FramePolicies), framePolicyLabel, revalidate)
	f.idleSec = numEntry(strconv.Itoa(c.IdleFrameSeconds), revalidate)
	f.frameNote = note()

	f.mic = newChoice(w.audioChoices(func() ([]audio.Device, error) { return w.opts.Devices.Mics() }), orDefault("System default"), revalidate)
	f.speaker = newChoice(w.audioChoices(func() ([]audio.Device, error) { return w.opts.Devices.Speakers() }), orDefault("System default"), revalidate)
	f.headphones = widget.NewCheck(lang.L("I use headphones"), revalidateB)
	f.headphones.SetChecked(c.Headphones)
	f.speakerMode = widget.NewCheck(lang.L("Speaker mode: mute the mic while Gemini speaks"), revalidateB)
	f.speakerMode.SetChecked(c.SpeakerMode)
	f.echo = newChoice(slices.Clone(settings.EchoModes), func(v string) string { return lang.L("echo-" + v) }, revalidate)
	f.volume = widget.NewSlider(0, settings.MaxVolume)
	f.volume.Step = 0.05
	f.volume.SetValue(c.Volume)

	f.compression = widget.NewCheck(lang.L("Compress long conversations (needed for sessions with video over 2 minutes)"), revalidateB)
	f.compression.SetChecked(c.Compression)
	f.proactiveWant, f.affectiveWant = c.ProactiveAudio, c.AffectiveDialog
	f.proactive = widget.NewCheck(lang.L("Proactive audio (Gemini may stay silent when not addressed)"), func(b bool) {
		if !f.proactive.Disabled() {
			f.proactiveWant = b
		}
	})
	f.affective = widget.NewCheck(lang.L("Affective dialog (adapts to your tone)"), func(b bool) {
		if !f.affective.Disabled() {
			f.affectiveWant = b
		}
	})
	f.thinking = newChoice(slices.Clone(settings.ThinkingLevels), orDefault("Default"), revalidate)
	f.proactiveNote, f.affectiveNote, f.thinkingNote, f.toolsNote = note(), note(), note(), note()
	f.googleSearch = widget.NewCheck(lang.L("Google Search"), revalidateB)
	f.googleSearch.SetChecked(c.GoogleSearch)
	f.toolNames = slices.Clone(catalog.Tools)
	for _, t := range c.LocalTools {
		if !slices.Contains(f.toolNames, t) {
			f.toolNames = append(slices.Clone(f.toolNames), t)
		}
	}
	toolBox := container.NewVBox(f.googleSearch)
	for _, name := range f.toolNames {
		ch := widget.NewCheck(name, revalidateB)
		ch.SetChecked(slices.Contains(c.LocalTools, name))
		f.tools = append(f.tools, ch)
		toolBox.Add(ch)
		if name == catalog.ToolClipboard {
			warn := widget.NewLabel(lang.L("Lets Gemini put text on your clipboard. Text on a shared screen could ask it to plant a command for you to paste: check what you paste. Each copy is shown in the window."))
			warn.Wrapping = fyne.TextWrapWord
			warn.Importance = widget.WarningImportance
			toolBox.Add(warn)
		}
	}
	toolBox.Add(f.toolsNote)

	// Set selections after every widget exists: their callbacks validate the whole form.
	f.voice.set(c.Voice)
	f.language.set(c.Language)
	f.startSens.set(c.StartSensitivity)
	f.endSens.set(c.EndSensitivity)
	f.activity.set(c.ActivityHandling)
	f.mediaRes.set(c.MediaResolution)
	f.framePolicy.set(c.FramePolicy)
	f.mic.set(c.MicDevice)
	f.speaker.set(c.SpeakerDevice)
	f.echo.set(c.EchoCancellation)
	f.thinking.set(c.ThinkingLevel)
	f.autoVAD.SetChecked(c.AutoVAD)
	f.backend.set(string(c.BackendOf()))
	f.model.set(c.Model) // applies the model's capabilities
	f.proactive.SetChecked(f.proactiveWant)
	f.onModelChanged(f.model.value())

	connection := widget.NewForm(
		f.item("Service", "Backend", container.NewVBox(f.backend, f.vertex), ""),
		f.item("API key", "APIKey", container.NewVBox(f.key, f.keyStatus,
			widget.NewHyperlink(lang.L("Get an API key")+" ↗", getKey), f.allowFile), ""),
		f.item("Model", "Model", f.model, ""),
		f.item("Voice", "Voice", f.voice, ""),
		f.item("Language", "Language", f.language, "Native-audio models choose the language themselves"),
		f.item("System instruction", "SystemInstruction", f.instr, ""),
		f.item("Transcription", "InputTranscription", container.NewVBox(f.inTr, f.outTr), ""),
		f.item("Endpoint", "Endpoint", f.endpoint, "Leave empty for Google; ws:// URL for a test server"),
	)
	vad := widget.NewForm(
		f.item("Voice detection", "AutoVAD", f.autoVAD, ""),
		f.item("Start sensitivity", "StartSensitivity", f.startSens, ""),
		f.item("End sensitivity", "EndSensitivity", f.endSens, ""),
		f.item("Prefix padding (ms)", "PrefixPaddingMs", f.prefixPad, "0 = server default"),
		f.item("Silence duration (ms)", "SilenceDurationMs", f.silence, "0 = server default"),
		f.item("When I speak", "ActivityHandling", f.activity, ""),
		f.item("Push-to-talk key", "PushToTalkKey", f.pttKey, "A key name such as F8 or Space; used when automatic detection is off"),
		f.item("Push-to-talk from anywhere", "GlobalPushToTalk", f.globalPTT, "Works while another application has the focus (X11), e.g. Ctrl+Alt+Space; empty = off"),
		f.item("Mute from anywhere", "GlobalMute", f.globalMute, ""),
		f.item("Stop sharing from anywhere", "GlobalStopShare", f.globalStop, ""),
	)
	media := widget.NewForm(
		f.item("Frames per second", "FPS", f.fps, "0.2 to 2"),
		f.item("Largest side (px)", "MaxSize", f.maxSize, ""),
		f.item("JPEG quality", "JPEGQuality", f.jpegQ, "1 to 100"),
		f.item("Media resolution", "MediaResolution", f.mediaRes, "LOW = 64 tokens per frame, MEDIUM/HIGH = 256"),
		f.item("Send frames", "FramePolicy", container.NewVBox(f.framePolicy, f.frameNote), ""),
		f.item("Seconds between frames while silent", "IdleFrameSeconds", f.idleSec, "0 = none"),
		f.item("Frames", "SkipUnchanged", container.NewVBox(f.skipUnchanged, f.hideOwn), ""),
	)
	audio := widget.NewForm(
		f.item("Microphone", "MicDevice", f.mic, ""),
		f.item("Speaker", "SpeakerDevice", f.speaker, ""),
		f.item("Echo", "EchoCancellation", container.NewVBox(f.headphones, f.speakerMode, f.echo), ""),
		f.item("Volume", "Volume", f.volume, ""),
	)
	features := widget.NewForm(
		f.item("Session", "Compression", f.compression, ""),
		f.item("Proactive audio", "ProactiveAudio", container.NewVBox(f.proactive, f.proactiveNote), ""),
		f.item("Affective dialog", "AffectiveDialog", container.NewVBox(f.affective, f.affectiveNote), ""),
		f.item("Thinking level", "ThinkingLevel", container.NewVBox(f.thinking, f.thinkingNote), ""),
		f.item("Tools", "LocalTools", toolBox, ""),
	)
	f.summary = widget.NewLabel("")
	f.summary.Importance = widget.DangerImportance
	f.summary.Wrapping = fyne.TextWrapWord
	f.onVADChanged()
	f.validate()

	tabs := container.NewAppTabs(
		container.NewTabItem(lang.L("Connection"), container.NewVScroll(connection)),
		container.NewTabItem(lang.L("Voice detection"), container.NewVScroll(vad)),
		container.NewTabItem(lang.L("Media"), container.NewVScroll(media)),
		container.NewTabItem(lang.L("Audio"), container.NewVScroll(audio)),
		container.NewTabItem(lang.L("Features"), container.NewVScroll(features)),
	)
	f.saveBtn = widget.NewButton(lang.L("Save"), f.save)
	f.saveBtn.Importance = widget.HighImportance
	save := f.saveBtn
	cancel := widget.NewButton(lang.L("Cancel"), f.hide)
	f.dlg = dialog.NewCustomWithoutButtons(lang.L("Settings"), container.NewBorder(nil, f.summary, nil, nil, tabs), w.win)
	f.dlg.SetButtons([]fyne.CanvasObject{cancel, save})
	f.dlg.Resize(fyne.NewSize(760, 620))
	return f
}

func note() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.LowImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

func setNote(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

func (w *Window) keyStatusText() string {
	switch w.keySource {
	case settings.KeyEnv:
		return lang.L("Using GEMINI_API_KEY from the environment; it overrides any saved key.")
	case settings.KeyKeyring:
		return lang.L("Stored in the OS keyring.")
	case settings.KeyFile:
		return lang.L("Stored in a file only you can read (no OS keyring available).")
	case settings.KeySession:
		return lang.L("Kept for this session only (no OS keyring available).")
	}
	if errors.Is(w.keyErr, settings.ErrNoKeyring) {
		return lang.L("No OS keyring is available here, so a new key is kept for this session only unless you allow a file below.")
	}
	return lang.L("No API key yet. You need one to talk to Gemini.")
}

// onBackendChanged offers the backend's models (keeping the chosen one if the backend serves
// it, else its default) and shows the Vertex AI fields for Vertex only.
func (f *settingsForm) onBackendChanged(v string) {
	if f.model == nil || f.vertex == nil {
		return // still building
	}
	b := catalog.Backend(v)
	models := catalog.ModelsFor(b)
	cur := f.model.value()
	if mb, known := catalog.ModelBackend(cur); cur == "" || (known && mb != b) {
		cur = catalog.RulesFor(b).DefaultModel
	}
	if !slices.Contains(models, cur) {
		models = append(models, cur) // a model the user typed, kept
	}
	f.model.setValues(models, func(v string) string { return v })
	f.model.set(cur)
	if b == catalog.BackendVertex {
		f.vertex.Show()
	} else {
		f.vertex.Hide()
	}
	// The backends' servers default differently; say which default applies.
	if f.startSens != nil && f.endSens != nil {
		r := catalog.RulesFor(b)
		serverDefault := func(def string) func(string) string {
			return func(v string) string {
				if v == "" {
					return lang.L("Default") + " (" + def + ")"
				}
				return v
			}
		}
		// Left empty, the start sensitivity is LOW unless headphones are declared (see
		// call.LiveConfig): the label says so where the server's own default differs.
		startDef := r.ServerStartSensitivity
		if startDef != "LOW" {
			startDef = lang.L("LOW on speakers, {{.Server}} with headphones", map[string]any{"Server": startDef})
		}
		f.startSens.setValues(slices.Clone(settings.Sensitivities), serverDefault(startDef))
		f.endSens.setValues(slices.Clone(settings.Sensitivities), serverDefault(r.ServerEndSensitivity))
	}
	f.onModelChanged(f.model.value())
}

// onModelChanged applies the model's capabilities: options it rejects are disabled with a reason.
func (f *settingsForm) onModelChanged(model string) {
	if f.proactive == nil || f.affective == nil || f.thinking == nil {
		return // still building
	}
	caps := CapabilitiesFunc(model)
	applySupport(f.proactive, f.proactiveNote, caps.Proactive, f.proactiveWant, model)
	applySupport(f.affective, f.affectiveNote, caps.Affective, f.affectiveWant, model)
	switch {
	case caps.ThinkingLevel:
		f.thinking.setValues(append([]string{""}, caps.ThinkingLevels...), orDefault("Default"))
		f.thinking.Enable()
		setNote(f.thinkingNote, "")
	case caps.ThinkingBudget:
		f.thinking.set("")
		f.thinking.Disable()
		setNote(f.thinkingNote, lang.L("{{.Model}} uses a thinking budget, not a level", map[string]any{"Model": model}))
	default:
		f.thinking.set("")
		f.thinking.Disable()
		setNote(f.thinkingNote, lang.L("{{.Model}} does not accept a thinking setting", map[string]any{"Model": model}))
	}
	if caps.NonBlocking {
		setNote(f.toolsNote, "")
	} else {
		setNote(f.toolsNote, lang.L("{{.Model}} runs tools one at a time (no NON_BLOCKING calls)", map[string]any{"Model": model}))
	}
	f.validate()
}

func applySupport(c *widget.Check, n *widget.Label, s Support, want bool, model string) {
	switch s {
	case Unsupported:
		c.Disable()
		c.SetChecked(false)
		setNote(n, lang.L("Not supported by {{.Model}}", map[string]any{"Model": model}))
	case AlwaysOn:
		c.Disable()
		c.SetChecked(true)
		setNote(n, lang.L("Always on for {{.Model}}", map[string]any{"Model": model}))
	default:
		c.Enable()
		c.SetChecked(want)
		setNote(n, "")
	}
}

func (f *settingsForm) onVADChanged() {
	if f.pttKey == nil {
		return
	}
	auto := f.autoVAD.Checked
	for _, d := range []fyne.Disableable{f.startSens, f.endSens, f.prefixPad, f.silence} {
		if auto {
			d.Enable()
		} else {
			d.Disable()
		}
	}
	if auto {
		f.pttKey.Disable()
	} else {
		f.pttKey.Enable()
	}
	f.validate()
}

// config reads the form. Numbers that do not parse are reported as field errors.
func (f *settingsForm) config() (settings.Config, map[string]string) {
	bad := map[string]string{}
	atoi := func(field string, e *widget.Entry) int {
		v, err := strconv.Atoi(strings.TrimSpace(e.Text))
		if err != nil {
			bad[field] = lang.L("enter a whole number")
		}
		return v
	}
	c := f.w.cfg // keeps fields the form does not show
	c.APIKey = settings.Secret(strings.TrimSpace(f.key.Text))
	if f.w.keySource == settings.KeyEnv {
		c.APIKey = f.w.cfg.APIKey
	}
	c.Endpoint = strings.TrimSpace(f.endpoint.Text)
	c.Backend = f.backend.value()
	c.VertexProject = strings.TrimSpace(f.project.Text)
	c.VertexLocation = strings.TrimSpace(f.location.Text)
	c.VertexKeyFile = strings.TrimSpace(f.keyFile.Text)
	c.Model = f.model.value()
	c.Voice = f.voice.value()
	c.Language = f.language.value()
	c.SystemInstruction = f.instr.Text
	c.InputTranscription = f.inTr.Checked
	c.OutputTranscription = f.outTr.Checked
	c.AutoVAD = f.autoVAD.Checked
	c.StartSensitivity = f.startSens.value()
	c.EndSensitivity = f.endSens.value()
	c.PrefixPaddingMs = atoi("PrefixPaddingMs", f.prefixPad)
	c.SilenceDurationMs = atoi("SilenceDurationMs", f.silence)
	c.ActivityHandling = f.activity.value()
	c.PushToTalkKey = strings.TrimSpace(f.pttKey.Text)
	c.GlobalPushToTalk = strings.TrimSpace(f.globalPTT.Text)
	c.GlobalMute = strings.TrimSpace(f.globalMute.Text)
	c.GlobalStopShare = strings.TrimSpace(f.globalStop.Text)
	fps, err := strconv.ParseFloat(strings.TrimSpace(f.fps.Text), 64)
	if err != nil {
		bad["FPS"] = lang.L("enter a number such as 1 or 0.5")
	}
	c.FPS = fps
	c.MaxSize = atoi("MaxSize", f.maxSize)
	c.JPEGQuality = atoi("JPEGQuality", f.jpegQ)
	c.MediaResolution = f.mediaRes.value()
	c.SkipUnchanged = f.skipUnchanged.Checked
	c.HideOwnWindows = f.hideOwn.Checked
	c.FramePolicy = f.framePolicy.value()
	c.IdleFrameSeconds = atoi("IdleFrameSeconds", f.idleSec)
	c.MicDevice = f.mic.value()
	c.SpeakerDevice = f.speaker.value()
	c.Headphones = f.headphones.Checked
	c.SpeakerMode = f.speakerMode.Checked
	c.EchoCancellation = f.echo.value()
	c.Volume = f.volume.Value
	c.Compression = f.compression.Checked
	c.ProactiveAudio = f.proactive.Checked
	c.AffectiveDialog = f.affective.Checked
	c.ThinkingLevel = f.thinking.value()
	c.GoogleSearch = f.googleSearch.Checked
	c.LocalTools = []string{}
	for i, ch := range f.tools {
		if ch.Checked {
			c.LocalTools = append(c.LocalTools, f.toolNames[i])
		}
	}
	return c, bad
}

// validate shows each field's problem under it and returns the config if it is valid.
func (f *settingsForm) validate() (settings.Config, bool) {
	if f.summary == nil {
		return settings.Config{}, false // still building
	}
	c, bad := f.config()
	err := c.Validate()
	if f.frameNote != nil {
		f.frameNote.SetText(frameCostNote(c.FramePolicy, c.FPS, c.IdleFrameSeconds, c.MediaResolution, c.Model))
	}
	for field, l := range f.errs {
		msg := bad[field]
		if msg == "" {
			msg = settings.FieldMessage(err, field)
		}
		if msg == "" {
			l.Hide()
			continue
		}
		l.SetText(lang.L(msg))
		l.Show()
	}
	n := len(bad)
	var ve *settings.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Fields {
			if bad[fe.Field] == "" {
				n++
			}
		}
	}
	if n > 0 {
		f.summary.SetText(lang.L("{{.N}} settings need fixing (marked in red)", map[string]any{"N": n}))
		f.summary.Show()
		return c, false
	}
	f.summary.SetText("")
	f.summary.Hide()
	return c, true
}

func (f *settingsForm) save() {
	c, ok := f.validate()
	if !ok {
		return
	}
	w := f.w
	if err := settings.Save(w.store(), c); err != nil {
		// Nothing is lost: the old settings file is intact, and the dialog stays open to retry.
		w.log.Error("saving settings", "err", err)
		dialog.ShowError(fmt.Errorf("%s: %w", lang.L("The settings could not be saved; the previous ones are kept. Free some disk space and save again"), err), w.win)
		return
	}
	if w.keySource != settings.KeyEnv && c.APIKey != w.cfg.APIKey {
		src, err := w.opts.Keys.Save(c.APIKey, f.allowFile.Checked)
		w.keySource, w.keyErr = src, err
		switch {
		case errors.Is(err, settings.ErrNoKeyring):
			w.log.Warn("no OS keyring", "err", err, "kept", src.String())
			dialog.ShowInformation(lang.L("No OS keyring"), w.keyStatusText(), w.win)
		case err != nil:
			w.log.Error("saving the API key", "err", err)
			dialog.ShowError(fmt.Errorf("%s: %w", lang.L("Saving the API key failed"), err), w.win)
		}
	}
	w.cfg = c
	w.setGlobalKeys()
	f.hide()
	if w.wantLive { // a settings change restarts the session
		w.Connect()
	}
	w.refresh()
}

// ShowSettings opens the settings dialog.
func (w *Window) ShowSettings() {
	f := w.newSettingsForm()
	w.settings = f
	w.log.Info("settings opened", "needs_key", w.NeedsAPIKey())
	f.open = true
	f.dlg.Show()
}

func (f *settingsForm) hide() {
	f.open = false
	f.dlg.Hide()
}
