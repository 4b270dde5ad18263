using System.Xml.Linq;
using ContactCenter.Core.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace ContactCenter.Server.Hosting;

/// <summary>
/// The Data Protection key ring in PostgreSQL: every instance behind the load balancer reads the same keys,
/// so a login cookie minted by one instance is accepted by all. (The interface is synchronous.)
/// </summary>
internal sealed class PostgresXmlRepository(NpgsqlDataSource db) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = db.OpenConnection();
        using var command = connection.Sql("select xml from data_protection_keys");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read()) elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = db.OpenConnection();
        using var command = connection.Sql(
            "insert into data_protection_keys (friendly_name, xml) values ($1, $2) on conflict (friendly_name) do update set xml = excluded.xml",
            friendlyName, element.ToString(SaveOptions.DisableFormatting));
        command.ExecuteNonQuery();
    }
}
