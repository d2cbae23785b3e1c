// Command cost estimates each synthesized stage's monthly cost, idle, from its
// templates in OUT/STAGE/*.template.json (what `make synth-all` writes) and the
// price table internal/cost/prices.json.
//
//	go run ./cmd/cost [-out cdk.out] [-markdown]
//
// It prints each stage's items by tier, or with -markdown the README's table.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/internal/cost"
)

func main() {
	out := flag.String("out", "cdk.out", "folder with one synthesized cloud assembly per stage, as make synth-all writes")
	markdown := flag.Bool("markdown", false, "print the README's per-stage table instead of each stage's items")
	flag.Parse()
	if err := run(*out, *markdown); err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
}

func run(out string, markdown bool) error {
	prices, err := cost.DefaultPrices()
	if err != nil {
		return err
	}
	var stages []string
	estimates := map[string]cost.Breakdown{}
	for _, stage := range config.StageNames() {
		templates, err := readTemplates(filepath.Join(out, stage))
		if err != nil {
			return err
		}
		if templates == nil {
			continue
		}
		est, err := cost.Estimate(templates, prices)
		if err != nil {
			return fmt.Errorf("stage %s: %w", stage, err)
		}
		stages = append(stages, stage)
		estimates[stage] = est
	}
	if len(stages) == 0 {
		return fmt.Errorf("no stage templates in %s/{%s}: run make synth-all", out, strings.Join(config.StageNames(), ","))
	}
	if markdown {
		_, err := fmt.Print(cost.Markdown(prices, stages, estimates))
		return err
	}
	for i, stage := range stages {
		if i > 0 {
			fmt.Println()
		}
		if err := cost.WriteText(os.Stdout, stage, estimates[stage], prices); err != nil {
			return err
		}
	}
	return nil
}

// readTemplates parses dir/*.template.json by stack name, or returns nil when
// there are none.
func readTemplates(dir string) (map[string]map[string]any, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil || len(paths) == 0 {
		return nil, err
	}
	templates := map[string]map[string]any{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read template: %w", err)
		}
		var tpl map[string]any
		if err := json.Unmarshal(b, &tpl); err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		templates[strings.TrimSuffix(filepath.Base(path), ".template.json")] = tpl
	}
	return templates, nil
}
