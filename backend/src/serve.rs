//! The gRPC services Grafana calls. One executable serves both plugins: Grafana starts it once for
//! the app and once for the nested data source (whose `plugin.json` names the app's executable,
//! `../gpx_codexflow`), and each call says which it is for by the settings it carries.
//!
//! The SDK's own server (`backend::Plugin`) takes one diagnostics service typed for one kind of
//! plugin, so these services are put together here, as the SDK does it (the same health reporter
//! and servers), with two additions: `CheckHealth` goes to the data source when the call carries
//! data source settings, and each query's time range and size are checked before the SDK reads the
//! query (its conversion panics on a time range that is no date).

use std::collections::HashMap;

use grafana_plugin_sdk::pluginv2;
use grafana_plugin_sdk::pluginv2::data_server::{Data, DataServer};
use grafana_plugin_sdk::pluginv2::diagnostics_server::{Diagnostics, DiagnosticsServer};
use grafana_plugin_sdk::pluginv2::resource_server::ResourceServer;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

use crate::datasource::query;
use crate::datasource::service::CodexFlowDataSource;
use crate::plugin::CodexFlowPlugin;

/// The app's and the data source's services, behind one listener.
#[derive(Clone, Default)]
pub struct Services {
    pub app: CodexFlowPlugin,
    pub datasource: CodexFlowDataSource,
}

/// Serves Grafana's calls on `listener` until the process ends.
pub async fn serve(listener: TcpListener, services: Services) -> Result<(), tonic::transport::Error> {
    let (mut health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<DiagnosticsServer<Services>>().await;
    health.set_serving::<DataServer<Services>>().await;
    health.set_serving::<ResourceServer<CodexFlowPlugin>>().await;
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(DiagnosticsServer::new(services.clone()))
        .add_service(DataServer::new(services.clone()))
        .add_service(ResourceServer::new(services.app))
        .serve_with_incoming(TcpListenerStream::new(listener))
        .await
}

fn for_datasource(context: Option<&pluginv2::PluginContext>) -> bool {
    context.is_some_and(|c| c.data_source_instance_settings.is_some())
}

#[tonic::async_trait]
impl Diagnostics for Services {
    async fn check_health(
        &self,
        request: tonic::Request<pluginv2::CheckHealthRequest>,
    ) -> Result<tonic::Response<pluginv2::CheckHealthResponse>, tonic::Status> {
        if for_datasource(request.get_ref().plugin_context.as_ref()) {
            Diagnostics::check_health(&self.datasource, request).await
        } else {
            Diagnostics::check_health(&self.app, request).await
        }
    }

    async fn collect_metrics(
        &self,
        request: tonic::Request<pluginv2::CollectMetricsRequest>,
    ) -> Result<tonic::Response<pluginv2::CollectMetricsResponse>, tonic::Status> {
        Diagnostics::collect_metrics(&self.app, request).await
    }
}

#[tonic::async_trait]
impl Data for Services {
    async fn query_data(
        &self,
        request: tonic::Request<pluginv2::QueryDataRequest>,
    ) -> Result<tonic::Response<pluginv2::QueryDataResponse>, tonic::Status> {
        let mut inner = request.into_inner();
        let mut refused: HashMap<String, pluginv2::DataResponse> = HashMap::new();
        inner.queries.retain(|q| match query::screen(q) {
            Ok(()) => true,
            Err(e) => {
                let error = e.to_string();
                refused.insert(
                    q.ref_id.clone(),
                    pluginv2::DataResponse { frames: vec![], status: 400, error, json_meta: vec![] },
                );
                false
            }
        });
        let mut answered = if inner.queries.is_empty() {
            pluginv2::QueryDataResponse::default()
        } else {
            Data::query_data(&self.datasource, tonic::Request::new(inner)).await?.into_inner()
        };
        answered.responses.extend(refused);
        Ok(tonic::Response::new(answered))
    }
}
