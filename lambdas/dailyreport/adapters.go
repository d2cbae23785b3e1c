package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresSales reads sales from PostgreSQL: give it a pool on the reader name.
type PostgresSales struct {
	DB *pgxpool.Pool
}

// Between returns the orders placed in [from, to) and their products, best
// sellers first.
func (s PostgresSales) Between(ctx context.Context, from, to time.Time) (int, []Product, error) {
	var orders int
	if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM orders WHERE status = 'placed' AND created_at >= $1 AND created_at < $2`, from, to).Scan(&orders); err != nil {
		return 0, nil, err
	}
	rows, err := s.DB.Query(ctx, `
		SELECT p.sku, p.name, sum(l.quantity), sum(l.quantity * l.unit_price_cents)
		FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN products p ON p.id = l.product_id
		WHERE o.status = 'placed' AND o.created_at >= $1 AND o.created_at < $2
		GROUP BY p.sku, p.name ORDER BY 3 DESC, p.sku`, from, to)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var products []Product
	for rows.Next() {
		var p Product
		if err := rows.Scan(&p.SKU, &p.Name, &p.Units, &p.RevenueCents); err != nil {
			return 0, nil, err
		}
		products = append(products, p)
	}
	return orders, products, rows.Err()
}

// S3Store puts reports into one bucket.
type S3Store struct {
	Client interface {
		PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	}
	Bucket string
}

// Put stores body under key.
func (s S3Store) Put(ctx context.Context, key string, body []byte) error {
	contentType := "application/json"
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key, Body: bytes.NewReader(body), ContentType: &contentType})
	return err
}

// SNSNotifier publishes to the reports topic, which emails its subscribers.
type SNSNotifier struct {
	Client interface {
		Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
	}
	TopicARN string
}

// Notify publishes message with subject.
func (n SNSNotifier) Notify(ctx context.Context, subject, message string) error {
	if _, err := n.Client.Publish(ctx, &sns.PublishInput{TopicArn: &n.TopicARN, Subject: &subject, Message: &message}); err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	return nil
}
