using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class EvidenceSigningKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "EvidenceSigningKeys",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", unicode: false, maxLength: 16, nullable: false),
                    Algorithm = table.Column<string>(type: "TEXT", unicode: false, maxLength: 32, nullable: false),
                    PublicKey = table.Column<string>(type: "TEXT", unicode: false, maxLength: 512, nullable: false),
                    ProtectedPrivateKey = table.Column<string>(type: "TEXT", unicode: false, maxLength: 4000, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RetiredAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EvidenceSigningKeys", x => x.Id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EvidenceSigningKeys");
        }
    }
}
