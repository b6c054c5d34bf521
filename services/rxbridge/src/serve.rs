//! `rxbridge serve`: runs the chosen services in this process, each with its gRPC server,
//! outbox relay and event consumer, plus one metrics endpoint; stops them in order on SIGTERM.

use std::time::Duration;

use rx_messaging::{Relay, RelayConfig, Topology, Workers};
use rx_platform::grpc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::Target;
use crate::settings::Settings;
use crate::system::{self, Service};

pub async fn run(settings: Settings, target: Target) -> anyhow::Result<()> {
    let process_name = match target {
        Target::All => "rxbridge".to_owned(),
        one => format!("rxbridge-{}", one.services().first().map_or("all", |s| s.name())),
    };
    let _telemetry = rx_platform::telemetry::init(&process_name)?;
    let shutdown = rx_platform::shutdown::on_signal();
    let topology = Topology::new(settings.namespace.clone());
    let auth = rx_platform::auth::Authenticator::from_env()?;
    // Refuses to start without TLS or the explicit plaintext flag, before anything listens.
    let transport = rx_platform::tls::Transport::from_env()?;

    // Workers (relays, consumers) stop only after the gRPC servers drained.
    let workers_stop = CancellationToken::new();
    // With AUTH_JWKS_URL, the keys are fetched before anything listens, then kept fresh.
    auth.start_key_refresh(workers_stop.clone()).await?;
    let mut servers = JoinSet::new();
    let mut workers = JoinSet::new();
    let mut pools = Vec::new();
    let mut health = Vec::new();
    let mut health_lines = Vec::new();

    let (metrics_listener, metrics_addr) = grpc::bind(settings.metrics_addr).await?;
    let metrics_stop = workers_stop.clone();
    workers.spawn(async move {
        let _ = rx_platform::metrics_http::serve(metrics_listener, metrics_stop).await;
    });
    tracing::info!(addr = %metrics_addr, "metrics listening");
    println!("metrics listening on {metrics_addr}");

    for service in target.services() {
        let service_settings = settings.service(service)?;
        let pool = service.connect(&settings).await?;
        let standard = grpc::standard_services()?;
        let routes = service
            .routes(standard.routes, pool.clone(), settings.max_message_bytes)
            .add_service(rx_platform::audit::Trail::server(pool.clone()));
        let (listener, addr) = grpc::bind(service_settings.grpc_addr).await?;
        let access = grpc::Access { auth: auth.clone(), audit: Some(pool.clone()) };
        let grpc_transport = transport.clone();
        let grpc_stop = shutdown.child_token();
        servers.spawn(async move { grpc::serve_on(listener, &grpc_transport, routes, access, grpc_stop).await });
        // The probes' port answers NOT_SERVING while the API drains, so it stops with the workers.
        let (health_listener, health_addr) = grpc::bind(service_settings.health_addr).await?;
        let (reporter, health_stop) = (standard.health.clone(), workers_stop.clone());
        workers.spawn(async move {
            let _ = grpc::serve_health(health_listener, reporter, health_stop).await;
        });
        health_lines.push((service.name(), health_addr));
        grpc::mark_serving(&standard.health, service.grpc_services()).await;
        health.push((standard.health, service.grpc_services()));

        let relay = Relay::new(pool.clone(), topology.clone(), relay_config(&settings, service));
        workers.spawn(relay.run(workers_stop.clone()));
        let mut service_workers = Workers {
            pool: pool.clone(),
            topology: topology.clone(),
            amqp_url: settings.amqp_url.expose().to_owned(),
            delivery_limit: settings.delivery_limit,
            stop: workers_stop.clone(),
            set: &mut workers,
        };
        for (what, listening) in service.start(&mut service_workers, &auth, &transport).await? {
            tracing::info!(service = service.name(), what = %what, addr = %listening, "listening");
            println!("{} {what} listening on {listening}", service.name());
        }
        pools.push(pool);

        tracing::info!(service = service.name(), addr = %addr, transport = transport.mode(), "grpc listening");
        println!("{} grpc listening on {addr}", service.name());
    }
    // Printed last, so tools waiting for the API lines above see them first.
    for (name, addr) in health_lines {
        tracing::info!(service = name, addr = %addr, "plaintext health listening");
        println!("{name} health listening on {addr}");
    }

    shutdown.cancelled().await;
    for (reporter, names) in &health {
        grpc::mark_not_serving(reporter, names).await;
    }
    // The servers stop accepting at once and finish in-flight calls; give them a deadline.
    let drained = tokio::time::timeout(Duration::from_secs(settings.drain_seconds), async {
        while servers.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("in-flight requests did not finish before the drain deadline");
    }
    workers_stop.cancel();
    while workers.join_next().await.is_some() {}
    for pool in pools {
        pool.close().await;
    }
    tracing::info!("stopped");
    Ok(())
}

fn relay_config(settings: &Settings, service: Service) -> RelayConfig {
    RelayConfig {
        service: service.name().to_owned(),
        schema: service.schema().schema.to_owned(),
        amqp_url: settings.amqp_url.expose().to_owned(),
        batch_size: 200,
        poll_interval: Duration::from_millis(500),
        retention: Duration::from_secs(24 * 3600),
        consumers: system::consumers(settings.delivery_limit),
    }
}
