using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class DeferredBlobRangeIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RangeEntries_Digest",
                table: "RangeEntries");

            migrationBuilder.CreateTable(
                name: "BlobRanges",
                columns: table => new
                {
                    Digest = table.Column<string>(type: "char(64)", unicode: false, fixedLength: true, maxLength: 64, nullable: false),
                    RangeDigest = table.Column<string>(type: "char(64)", unicode: false, fixedLength: true, maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlobRanges", x => new { x.Digest, x.RangeDigest });
                    table.ForeignKey(
                        name: "FK_BlobRanges_ManifestRanges_RangeDigest",
                        column: x => x.RangeDigest,
                        principalTable: "ManifestRanges",
                        principalColumn: "Digest",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "UnindexedRanges",
                columns: table => new
                {
                    RangeDigest = table.Column<string>(type: "char(64)", unicode: false, fixedLength: true, maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UnindexedRanges", x => x.RangeDigest);
                    table.ForeignKey(
                        name: "FK_UnindexedRanges_ManifestRanges_RangeDigest",
                        column: x => x.RangeDigest,
                        principalTable: "ManifestRanges",
                        principalColumn: "Digest",
                        onDelete: ReferentialAction.Cascade);
                });

            // Ranges stored before this migration were indexed inline; the indexer moves them into BlobRanges, and
            // look-ups read their entries directly until then.
            migrationBuilder.Sql("INSERT INTO [UnindexedRanges] ([RangeDigest]) SELECT [Digest] FROM [ManifestRanges];");

            migrationBuilder.CreateIndex(
                name: "IX_BlobRanges_RangeDigest",
                table: "BlobRanges",
                column: "RangeDigest");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BlobRanges");

            migrationBuilder.DropTable(
                name: "UnindexedRanges");

            migrationBuilder.CreateIndex(
                name: "IX_RangeEntries_Digest",
                table: "RangeEntries",
                column: "Digest");
        }
    }
}
