package shop

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/example/scalable-web/internal/securityheaders"
)

var updateScreenshot = flag.Bool("update-screenshot", false,
	"TestStorefrontInABrowser also writes its screenshot to "+screenshotPath+", the README's")

// screenshotPath is the README's picture of the storefront, from this package.
const screenshotPath = "../../docs/storefront.png"

// TestStorefrontInABrowser drives the storefront in headless Chromium, served as
// the local run serves it (the page, its files and the API from one handler,
// with the security headers CloudFront adds in AWS): the page lists the
// products, "More" pages through them to the end, an order placed with the form
// is written and its result shown, and the browser reports no console error,
// no uncaught exception and no Content-Security-Policy violation. The browser
// reaches nothing but the shop on loopback. The screenshot is in the test's
// artifacts (go test -artifacts); -update-screenshot writes the README's too.
func TestStorefrontInABrowser(t *testing.T) {
	s := newShop(t, options{storefront: true}) // 50 products: pages of 20, 20 and 10
	b := startBrowser(t, s.http.URL)
	ctx := b.ctx
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v\nthe browser reported: %s", what, err, b.report())
		}
	}
	products := func() []string {
		t.Helper()
		items, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#products li")].map(li => li.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
	// The page's own state, polled: the list's length and whether "More" shows.
	listed := func(n int, more bool) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll("#products li").length === %d && document.getElementById("more").hidden === %t`, n, !more),
			chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))
	}

	run("open the storefront", chromedp.Navigate(s.http.URL+"/"), listed(20, true))
	if got := products(); got[0] != "#1 product 1 — 1.00" || got[19] != "#20 product 20 — 20.00" {
		t.Errorf("first page %q … %q, want #1 product 1 — 1.00 … #20 product 20 — 20.00", got[0], got[19])
	}
	run("More", chromedp.Click(chromedp.CSS("#more")), listed(40, true))
	run("More, to the last page", chromedp.Click(chromedp.CSS("#more")), listed(50, false))
	if got := products(); got[20] != "#21 product 21 — 21.00" || got[49] != "#50 product 50 — 50.00" {
		t.Errorf("pages 2 and 3 from %q to %q, want #21 product 21 — 21.00 to #50 product 50 — 50.00", got[20], got[49])
	}

	run("place an order",
		chromedp.SendKeys(chromedp.CSS(`#order [name=email]`), "browser@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#order [name=product]`), "7"),
		chromedp.SetValue(chromedp.CSS(`#order [name=quantity]`), "2"),
		chromedp.Click(chromedp.CSS(`#order [type=submit]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById("result").textContent !== ""`,
			chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	result, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
	if err != nil {
		t.Fatal(err)
	}
	status, body, _ := strings.Cut(result, " ")
	var order Order
	if err := json.Unmarshal([]byte(body), &order); status != "201" || err != nil {
		t.Fatalf("the page shows %q, want 201 and the order", result)
	}
	if order.CustomerEmail != "browser@example.com" || order.TotalCents != 1400 || len(order.Lines) != 1 || order.Lines[0].ProductID != 7 || order.Lines[0].Quantity != 2 {
		t.Errorf("the page shows the order %+v, want 2 of product 7 for browser@example.com, 14.00", order)
	}
	if n := s.db.Int(t, `SELECT count(*) FROM orders WHERE id = $1 AND customer_email = 'browser@example.com' AND idempotency_key IS NOT NULL`, order.ID); n != 1 {
		t.Errorf("order %s with its Idempotency-Key in the database: %d rows, want 1", order.ID, n)
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, shot)

	if problems := b.report(); problems != "" {
		t.Errorf("the browser reported: %s", problems)
	}
	if got, want := b.documentHeaders(securityheaders.Header()), securityheaders.Header(); !reflect.DeepEqual(got, want) {
		t.Errorf("the page came with %v, want the security headers CloudFront adds, %v", got, want)
	}

	// The control: a script the page did not load from its origin is refused
	// and reported, so the checks above could have failed.
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const s = document.createElement("script");
		s.textContent = "window.inlineRan = true";
		document.body.append(s);
		return window.inlineRan === true;
	})()`))
	if err != nil || ran {
		t.Errorf("an inline script ran (%t, %v), want it refused by the Content-Security-Policy", ran, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	violations, logged := b.cspReports()
	for (violations == 0 || logged == 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		violations, logged = b.cspReports()
	}
	if violations == 0 || logged == 0 {
		t.Errorf("an inline script was refused; the page reported %d violations and the browser's log %d security messages, want both: this test would not see one", violations, logged)
	}
}

// browser is headless Chromium with one tab, and what the tab reported.
type browser struct {
	ctx context.Context
	// origin is the shop's: the only place the tab may request.
	origin string

	mu         sync.Mutex
	problems   []string    // console errors, exceptions, requests elsewhere
	violations []string    // Content-Security-Policy violations, as the page saw them
	security   int         // the browser log's security messages (among problems)
	document   http.Header // the response headers of the page
	warnings   []string
}

// cspListener reports each Content-Security-Policy violation of a page to the
// test through a binding. DevTools adds it to every document before the page's
// own scripts, outside the page's policy.
const cspListener = `document.addEventListener("securitypolicyviolation", e => reportCSPViolation(JSON.stringify({
	directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample})));`

// startBrowser starts Chromium with a tab on about:blank, listening to what the
// tab reports. The browser may reach only loopback: every other request goes
// to offLoopbackProxy, which answers nothing and fails the test.
func startBrowser(t *testing.T, origin string) *browser {
	t.Helper()
	path := chromium(t)
	proxy := offLoopbackProxy(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 1100),
		// Chromium's sandbox needs user namespaces, which containers (and root,
		// whom Chromium refuses without this flag) do not give it. The tab loads
		// only the shop's own page from loopback.
		chromedp.NoSandbox,
		// Every request but loopback's goes to the proxy, and no name resolves:
		// nothing leaves the machine, whatever a feature of the browser tries.
		chromedp.Flag("proxy-server", "http://"+proxy),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		// And the features that would try, off.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,NetworkTimeServiceQuerying,AutofillServerCommunication"),
	)
	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAllocator)
	ctx, cancelTab := chromedp.NewContext(allocator)
	t.Cleanup(cancelTab)
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancelTimeout)

	b := &browser{ctx: ctx, origin: origin}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: "reportCSPViolation"}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, w := range b.warnings {
			t.Logf("browser warning: %s", w)
		}
	})
	return b
}

// record keeps what the tab reports. It runs on the tab's reading goroutine: it
// only appends.
func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			b.problems = append(b.problems, fmt.Sprintf("console.%s: %s", ev.Type, consoleArgs(ev.Args)))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, text))
	case *log.EventEntryAdded:
		e := ev.Entry
		switch {
		case e.Level == log.EntryLevelError || e.Source == log.EntrySourceSecurity:
			b.problems = append(b.problems, fmt.Sprintf("%s %s: %s (%s)", e.Source, e.Level, e.Text, e.URL))
			if e.Source == log.EntrySourceSecurity {
				b.security++
			}
		case e.Level == log.EntryLevelWarning:
			b.warnings = append(b.warnings, fmt.Sprintf("%s: %s (%s)", e.Source, e.Text, e.URL))
		}
	case *runtime.EventBindingCalled:
		if ev.Name == "reportCSPViolation" {
			b.violations = append(b.violations, ev.Payload)
		}
	case *network.EventRequestWillBeSent:
		if u := ev.Request.URL; u != b.origin && !strings.HasPrefix(u, b.origin+"/") && !strings.HasPrefix(u, "data:") {
			b.problems = append(b.problems, "the page requested "+u+", not from its origin")
		}
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument {
			b.document = http.Header{}
			for name, v := range ev.Response.Headers {
				b.document.Set(name, fmt.Sprint(v))
			}
		}
	}
}

// report lists every problem and violation so far, or "" when there is none.
func (b *browser) report() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var all []string
	all = append(all, b.problems...)
	for _, v := range b.violations {
		all = append(all, "Content-Security-Policy violation: "+v)
	}
	return strings.Join(all, "; ")
}

// cspReports counts the two reports of a Content-Security-Policy violation: the
// page's event and the browser log's message.
func (b *browser) cspReports() (violations, logged int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.violations), b.security
}

// documentHeaders are the page's response headers among those of want.
func (b *browser) documentHeaders(want http.Header) http.Header {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := http.Header{}
	for name := range want {
		if v := b.document.Values(name); len(v) > 0 {
			got[name] = v
		}
	}
	return got
}

// consoleArgs renders a console call's arguments.
func consoleArgs(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}

// chromium finds the browser: CHROMIUM, else chromium on the PATH. Without one
// the test fails, as every integration test does without its services.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: the storefront's browser test drives Debian's chromium. Install it with `sudo apt-get install -y chromium` (scripts/services.sh, which make test runs, installs it when it runs as root), or set CHROMIUM to a Chromium or Chrome binary")
	}
	return p
}

// offLoopbackProxy is the proxy the browser sends every request that is not
// for loopback to. It answers none, and logs each it was sent: the page's own
// requests are checked as the page makes them (browser.record), and what is left
// is the browser's own features (Chromium 156 still asks Google's update and
// accounts servers, whatever the flags say), which this keeps on the machine.
func offLoopbackProxy(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		asked []string
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			mu.Lock()
			asked = append(asked, strings.TrimSpace(line))
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		if len(asked) > 0 {
			t.Logf("the browser's own features tried to reach beyond loopback, and were answered nothing: %q", asked)
		}
	})
	return l.Addr().String()
}

// saveScreenshot keeps the screenshot in the test's artifacts and, with
// -update-screenshot, as the README's.
func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	path := filepath.Join(t.ArtifactDir(), "storefront.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (kept with go test -artifacts)", path)
	if *updateScreenshot {
		if err := os.MkdirAll(filepath.Dir(screenshotPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", screenshotPath)
	}
}
