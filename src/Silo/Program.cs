using DmVoice.Silo;

// A DmVoice silo. With no configuration it runs alone on localhost with in-memory state; with
// Cluster:Mode=Redis it joins the cluster described in Redis (README, deploy/README.md).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddDmVoiceSilo();       // Orleans: clustering, addressing, storage, grains; Kubernetes hosting, dashboard
builder.AddSiloManagement();    // Silo:ManagementUrls: /health/live, /health/ready, /metrics, /dashboard

var app = builder.Build();
app.MapSiloManagement();
await app.RunAsync();
