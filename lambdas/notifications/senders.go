package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SESSender sends email with Amazon SES v2 from a verified sender.
type SESSender struct {
	Client interface {
		SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	}
	From string
}

// Send sends m.
func (s SESSender) Send(ctx context.Context, m Message) error {
	_, err := s.Client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: &s.From,
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: &m.Subject},
			Body:    &types.Body{Text: &types.Content{Data: &m.Body}},
		}},
	})
	if err != nil {
		return fmt.Errorf("ses: %w", err)
	}
	return nil
}

// LogSender logs the message it would have sent: for stages with no SES sender.
type LogSender struct {
	Log *slog.Logger
}

// Send logs m.
func (s LogSender) Send(ctx context.Context, m Message) error {
	s.Log.InfoContext(ctx, "no SES sender configured for this stage: message not sent",
		slog.String("to", m.To), slog.String("subject", m.Subject), slog.String("body", m.Body))
	return nil
}

// PostgresOnce remembers event IDs in processed_events.
type PostgresOnce struct {
	DB *pgxpool.Pool
}

// consumer names this Lambda in processed_events.
const consumer = "notifications"

// Do runs do unless eventID was done before. If commit fails after do succeeded,
// the message is sent again on retry: at least once, never silently dropped.
func (o PostgresOnce) Do(ctx context.Context, eventID string, do func() error) (bool, error) {
	tx, err := o.DB.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	tag, err := tx.Exec(ctx, `INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, consumer, eventID)
	if err != nil {
		return false, fmt.Errorf("record event: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if err := do(); err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}
