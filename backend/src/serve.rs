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

use codexflow_core::datasource::MAX_QUERIES;
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
        let (kept, refused) = screen_all(std::mem::take(&mut inner.queries));
        inner.queries = kept;
        let mut answered = if inner.queries.is_empty() {
            pluginv2::QueryDataResponse::default()
        } else {
            Data::query_data(&self.datasource, tonic::Request::new(inner)).await?.into_inner()
        };
        answered.responses.extend(refused);
        Ok(tonic::Response::new(answered))
    }
}

/// The queries the SDK may read, and an answer for each refId refused: past `MAX_QUERIES`, shared
/// by two queries (one answer each is all Grafana can take), or failing [`query::screen`].
fn screen_all(
    queries: Vec<pluginv2::DataQuery>,
) -> (Vec<pluginv2::DataQuery>, HashMap<String, pluginv2::DataResponse>) {
    let refuse = |error: String| pluginv2::DataResponse { frames: vec![], status: 400, error, json_meta: vec![] };
    let mut uses: HashMap<String, usize> = HashMap::new();
    for q in &queries {
        *uses.entry(q.ref_id.clone()).or_default() += 1;
    }
    let mut refused = HashMap::new();
    let mut kept = Vec::with_capacity(queries.len().min(MAX_QUERIES));
    for (i, q) in queries.into_iter().enumerate() {
        let error = if i >= MAX_QUERIES {
            Some(format!("at most {MAX_QUERIES} queries are answered in one request"))
        } else if let Some(n) = uses.get(&q.ref_id).filter(|n| **n > 1) {
            Some(format!("refId {:?} is used by {n} queries; each query needs its own", q.ref_id))
        } else {
            query::screen(&q).err().map(|e| e.to_string())
        };
        match error {
            Some(e) => {
                refused.insert(q.ref_id.clone(), refuse(e));
            }
            None => kept.push(q),
        }
    }
    (kept, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(ref_id: &str) -> pluginv2::DataQuery {
        pluginv2::DataQuery {
            ref_id: ref_id.into(),
            json: b"{}".to_vec(),
            time_range: Some(pluginv2::TimeRange { from_epoch_ms: 0, to_epoch_ms: 1 }),
            ..Default::default()
        }
    }

    #[test]
    fn shared_refids_and_queries_past_the_limit_are_refused_each_under_its_refid() {
        let mut queries: Vec<pluginv2::DataQuery> = (0..MAX_QUERIES + 3).map(|i| query(&format!("Q{i}"))).collect();
        queries[1].ref_id = "Q0".into();
        queries[2].json = b"{oops".to_vec();
        let (kept, refused) = screen_all(queries);
        assert_eq!(kept.len(), MAX_QUERIES - 3);
        assert!(refused["Q0"].error.contains("used by 2 queries"), "{:?}", refused["Q0"]);
        assert!(refused["Q2"].error.contains("not JSON"), "{:?}", refused["Q2"]);
        assert!(refused[&format!("Q{}", MAX_QUERIES + 2)].error.contains("at most 50 queries"));
        assert!(refused.values().all(|r| r.status == 400));
    }
}
