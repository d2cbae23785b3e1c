package config

import (
	"regexp"
	"strings"
)

// Delivery is how a GitHub Actions workflow reaches the stage's account: through
// GitHub's OpenID Connect provider, never with long-lived keys.
type Delivery struct {
	// GitHubRepository is the "owner/name" of the repository whose workflow diffs and
	// deploys this stage. Empty leaves the delivery stack out. app.go takes it from
	// `-c githubRepository=owner/name`, which make passes from $GITHUB_REPOSITORY:
	// GitHub Actions sets that variable on every run.
	GitHubRepository string
	// GitHubOwnerID and GitHubRepositoryID are the repository's immutable numeric
	// IDs, required with GitHubRepository. GitHub names a repository created,
	// renamed or transferred since April 2026 by them in its default OIDC subject
	// (repo:OWNER@OWNER_ID/NAME@REPO_ID:…), so the roles trust that form as well as
	// the name-only one. Actions sets GITHUB_REPOSITORY_OWNER_ID and
	// GITHUB_REPOSITORY_ID on every run and make passes them (-c githubOwnerId=…
	// -c githubRepositoryId=…); locally: gh api repos/OWNER/NAME --jq '.owner.id, .id'.
	GitHubOwnerID, GitHubRepositoryID string
	// SubjectPrefix replaces both default forms for an organisation that
	// customised its OIDC claim template: the subject up to the job context, e.g.
	// "repository_owner_id:123456:repository_id:456789" (README: Deploy from GitHub
	// Actions shows how to read yours). Empty: GitHub's default forms.
	SubjectPrefix string
	// CreateOIDCProvider creates GitHub's OIDC identity provider in the account. An
	// account holds one provider per issuer: set it on one stage per account, and
	// deploy that stage's delivery stack first. The other stages in the same account
	// use the provider it created.
	CreateOIDCProvider bool
}

// GitHub repository owners are 1-39 letters, digits and hyphens; repository names
// are letters, digits, '.', '-' and '_'.
var repositoryPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/[A-Za-z0-9._-]{1,100}$`)

var (
	githubIDPattern      = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)
	subjectPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9_.:/@-]{1,200}$`)
)

// SubjectPrefixes are the forms of the OIDC subject, up to the job context, that
// the stage's roles trust: the configured prefix, or GitHub's two default forms.
func (d Delivery) SubjectPrefixes() []string {
	if d.SubjectPrefix != "" {
		return []string{d.SubjectPrefix}
	}
	owner, name, _ := strings.Cut(d.GitHubRepository, "/")
	return []string{
		"repo:" + d.GitHubRepository,
		"repo:" + owner + "@" + d.GitHubOwnerID + "/" + name + "@" + d.GitHubRepositoryID,
	}
}

func (d Delivery) validate(p *problems) {
	if d.GitHubRepository == "" {
		return
	}
	if !repositoryPattern.MatchString(d.GitHubRepository) || d.GitHubRepository[len(d.GitHubRepository)-1] == '.' {
		p.add("delivery.gitHubRepository", d.GitHubRepository, "owner/name of a GitHub repository, such as example-org/shop, or empty for no delivery stack")
	}
	if !githubIDPattern.MatchString(d.GitHubOwnerID) {
		p.add("delivery.gitHubOwnerID", d.GitHubOwnerID, "the repository owner's numeric ID, required with delivery.gitHubRepository: Actions sets GITHUB_REPOSITORY_OWNER_ID; locally, gh api repos/"+d.GitHubRepository+" --jq .owner.id")
	}
	if !githubIDPattern.MatchString(d.GitHubRepositoryID) {
		p.add("delivery.gitHubRepositoryID", d.GitHubRepositoryID, "the repository's numeric ID, required with delivery.gitHubRepository: Actions sets GITHUB_REPOSITORY_ID; locally, gh api repos/"+d.GitHubRepository+" --jq .id")
	}
	if d.SubjectPrefix != "" && !subjectPrefixPattern.MatchString(d.SubjectPrefix) {
		p.add("delivery.subjectPrefix", d.SubjectPrefix, "the OIDC subject up to the job context, without wildcards, such as repository_owner_id:123456:repository_id:456789, or empty for GitHub's default forms")
	}
}
