using System.Net;
using System.Net.Sockets;

namespace ContactCenter.Bench;

/// <summary>What every scenario that hosts the service needs: the repository (content root, flows/) and a free port.</summary>
public static class BenchHosting
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ContactCenter.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("Run the benchmark from inside the repository (ContactCenter.sln, flows/ are read from there).");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
