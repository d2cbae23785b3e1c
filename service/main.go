// Command service is the sample shop that runs on the EC2 fleet behind the
// internal ALB: product reads cache-aside through Redis from a read replica, orders
// written to the primary with their events in an outbox, and a relay that
// publishes the outbox to SNS.
package main

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/example/scalable-web/internal/cacheclient"
	"github.com/example/scalable-web/internal/connbudget"
	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/pg"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/service/shop"
)

// static is the storefront; the CDN stack deploys the same files to S3.
//
//go:embed static
var static embed.FS

func staticFiles() fs.FS {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed above guarantees the directory
	}
	return files
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	run := serve
	if len(os.Args) > 1 && os.Args[1] == "migrate" {
		// Local runs only: in AWS the deploy migrates (Custom::Schema).
		run = migrate
	}
	if err := run(log); err != nil {
		log.Error("service stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// migrate applies the schema migrations to DATABASE_URL.
func migrate(log *slog.Logger) error {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	version, err := schema.Migrate(ctx, db)
	if err == nil {
		log.Info("schema migrated", slog.Int64("version", version))
	}
	return err
}

func serve(log *slog.Logger) error {
	cfg, err := shop.Load(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	aws, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	secrets := secretsmanager.NewFromConfig(aws)
	primary, replica, err := pools(ctx, cfg, secrets)
	if err != nil {
		return err
	}
	defer primary.Close()
	if replica != nil {
		defer replica.Close()
	}
	rdb, err := redisClient(ctx, cfg, secrets)
	if err != nil {
		return err
	}
	if rdb != nil {
		defer rdb.Close()
	}

	dbs := &shop.Databases{Primary: primary, Replica: replica, MaxLag: cfg.ReplicaMaxLag, Log: log}
	cache := &shop.Cache{Client: rdb, TTL: cfg.CacheTTL, Jitter: cfg.CacheJitter, Log: log}
	relay := &shop.Relay{DB: primary, Publisher: sns.NewFromConfig(aws), TopicARN: cfg.EventsTopicARN, Log: log,
		Interval: 500 * time.Millisecond, MaxBackoff: 30 * time.Second, PublishTimeout: 5 * time.Second}
	orders := &shop.Orders{DB: dbs, QueryTimeout: shop.DefaultWriteTimeout}
	server := &shop.Server{
		Catalog: &shop.Catalog{DB: dbs, Cache: cache, QueryTimeout: shop.DefaultReadTimeout},
		Orders:  orders,
		Relay:   relay, DB: dbs, Cache: cache, Log: log, AdminToken: cfg.AdminToken,
		Static: staticFiles(),
		// Without the origin secret no CloudFront is in front (make run-local): the
		// service sets the security headers CloudFront would.
		SecurityHeaders: cfg.OriginSecretARN == "",
	}
	if cfg.OriginSecretARN != "" {
		server.Origin = &shop.OriginGuard{Secrets: secrets, SecretID: cfg.OriginSecretARN, Log: log,
			Refresh: 5 * time.Minute, MinReread: 10 * time.Second, Open: []string{"/healthz", "/readyz"}}
		if err := server.Origin.Prime(ctx); err != nil {
			return err
		}
	}
	// Business metrics go to standard output, the log file the CloudWatch agent
	// ships; CloudWatch Logs extracts them.
	reporter := &shop.Reporter{
		Recorder: &emf.Recorder{Out: os.Stdout, Namespace: cfg.MetricsNamespace, Service: emf.ServiceShop},
		Orders:   orders, Cache: cache, Relay: relay, Period: cfg.MetricsPeriod, Log: log,
	}

	stopTracing, err := shop.StartTracing(ctx, cfg.TracingEndpoint, "shop")
	if err != nil {
		return err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stopTracing(flush)
	}()
	handler := server.Handler()
	if cfg.TracingEndpoint != "" {
		handler = shop.Traced(handler)
	}

	background, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go dbs.WatchReplica(background, 5*time.Second)
	relayDone := make(chan struct{})
	go func() { relay.Run(background); close(relayDone) }()
	reporterDone := make(chan struct{})
	go func() { reporter.Run(background); close(reporterDone) }()

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       75 * time.Second, // above the ALB's 60 s idle timeout
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	log.Info("listening", slog.String("addr", cfg.Addr))

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	// SIGTERM: stop accepting, let requests in flight finish, then stop the relay
	// (an event it was publishing stays in the outbox for the next instance).
	log.Info("shutting down", slog.Duration("drain", cfg.Drain))
	drain, cancelDrain := context.WithTimeout(context.Background(), cfg.Drain)
	defer cancelDrain()
	err = srv.Shutdown(drain)
	cancel()
	<-relayDone
	<-reporterDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// pools opens the primary and the replica pools: from the RDS secret with TLS in
// AWS, or from URLs locally.
func pools(ctx context.Context, cfg shop.Config, secrets pg.SecretReader) (primary, replica *pgxpool.Pool, err error) {
	if cfg.DatabaseURL != "" {
		if primary, err = pg.OpenURL(ctx, cfg.DatabaseURL, pg.ServiceLimits); err != nil {
			return nil, nil, err
		}
		if cfg.ReplicaURL != "" {
			replica, err = pg.OpenURL(ctx, cfg.ReplicaURL, pg.ServiceLimits)
		}
		return primary, replica, err
	}
	if primary, err = pg.OpenFromSecret(ctx, secrets, cfg.DBSecretARN, cfg.DBWriterHost, pg.VerifyFull, connbudget.ServicePrimary, pg.ServiceLimits); err != nil {
		return nil, nil, err
	}
	if cfg.DBReaderHost != "" {
		replica, err = pg.OpenFromSecret(ctx, secrets, cfg.DBSecretARN, cfg.DBReaderHost, pg.VerifyCA, connbudget.ServiceReader, pg.ServiceLimits)
	}
	return primary, replica, err
}

// redisClient connects to the cache, with TLS and the AUTH token from Secrets
// Manager in AWS; nil when no cache is configured.
func redisClient(ctx context.Context, cfg shop.Config, secrets pg.SecretReader) (*redis.Client, error) {
	if cfg.RedisAddr == "" {
		return nil, nil
	}
	return cacheclient.Connect(ctx, shop.RedisOptions(cfg.RedisAddr), cfg.RedisTLS, secrets, cfg.RedisAuthSecretARN)
}
