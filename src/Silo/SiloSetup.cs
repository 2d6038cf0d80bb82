using Orleans.Dashboard;

namespace DmVoice.Silo;

internal static class SiloSetup
{
    public const string KubernetesServiceHostVariable = "KUBERNETES_SERVICE_HOST";

    /// <summary>
    /// Logging, shutdown, and the Orleans silo: clustering, addressing, storage and grains from the
    /// Cluster, Calls and LiveKit sections, plus Orleans' Kubernetes hosting and dashboard when on.
    /// </summary>
    public static WebApplicationBuilder AddDmVoiceSilo(this WebApplicationBuilder builder)
    {
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<HostOptions>(o =>
        {
            // SIGTERM hands this silo's grains over; systemd and Kubernetes allow 45 s before SIGKILL.
            o.ShutdownTimeout = TimeSpan.FromSeconds(30);

            // The management port starts beside the silo instead of after it: /health/live answers while
            // the silo joins (a slow Redis is not a reason to restart it), /health/ready says 503 until
            // the silo is Active.
            o.ServicesStartConcurrently = true;
        });

        var cluster = DmVoiceClusterOptions.From(builder.Configuration);
        var management = builder.Configuration.GetSection(SiloManagementOptions.SectionName).Get<SiloManagementOptions>() ?? new();
        var kubernetes = cluster.UsesKubernetesHosting(Environment.GetEnvironmentVariable);
        if (kubernetes && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(KubernetesServiceHostVariable)))
        {
            // Orleans' agent would fail later, deep in the start, with a message about kubeconfig files.
            throw new InvalidOperationException(
                $"Cluster:Kubernetes=true, but this process is not in a Kubernetes pod ({KubernetesServiceHostVariable} is not set). " +
                "Leave Cluster:Kubernetes unset to detect it, or set it to false outside Kubernetes.");
        }

        builder.UseOrleans(silo =>
        {
            silo.UseDmVoiceCluster(builder.Configuration);
            if (kubernetes)
            {
                // Silo name = pod name, address = POD_IP; deleted pods are declared dead at once.
                // Needs POD_NAME, POD_NAMESPACE and a role to get/list/watch/patch pods (deploy/k8s).
                silo.UseKubernetesHosting();
            }

            if (management.Dashboard)
            {
                silo.AddDashboard();
            }
        });
        return builder;
    }
}
