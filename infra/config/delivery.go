package config

import (
	"regexp"
)

// Delivery is how a GitHub Actions workflow reaches the stage's account: through
// GitHub's OpenID Connect provider, never with long-lived keys.
type Delivery struct {
	// GitHubRepository is the "owner/name" of the repository whose workflow diffs and
	// deploys this stage. Empty leaves the delivery stack out. app.go takes it from
	// `-c githubRepository=owner/name`, which make passes from $GITHUB_REPOSITORY:
	// GitHub Actions sets that variable on every run.
	GitHubRepository string
	// CreateOIDCProvider creates GitHub's OIDC identity provider in the account. An
	// account holds one provider per issuer: set it on one stage per account, and
	// deploy that stage's delivery stack first. The other stages in the same account
	// use the provider it created.
	CreateOIDCProvider bool
}

// GitHub repository owners are 1-39 letters, digits and hyphens; repository names
// are letters, digits, '.', '-' and '_'.
var repositoryPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/[A-Za-z0-9._-]{1,100}$`)

func (d Delivery) validate(p *problems) {
	if d.GitHubRepository == "" {
		return
	}
	if !repositoryPattern.MatchString(d.GitHubRepository) || d.GitHubRepository[len(d.GitHubRepository)-1] == '.' {
		p.add("delivery.gitHubRepository", d.GitHubRepository, "owner/name of a GitHub repository, such as example-org/shop, or empty for no delivery stack")
	}
}
