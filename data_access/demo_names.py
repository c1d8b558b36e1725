"""Word lists for the demo world: Spanish-speaking names, domains, campaigns and flows."""

FIRST_NAMES = (
    "José", "María", "Juan", "Ana", "Luis", "Carmen", "Carlos", "Lucía", "Jorge", "Sofía",
    "Jesús", "Valentina", "Miguel", "Camila", "Ángel", "Isabel", "Andrés", "Inés", "Raúl",
    "Begoña", "Iñaki", "Íñigo", "Nuria", "Rocío", "Martín", "Mónica", "Óscar", "Verónica",
    "Sebastián", "Ximena", "Agustín", "Belén", "Tomás", "Julián", "Pilar", "Ramón", "Dolores",
    "Adrián", "Paula", "Fernando", "Gabriela", "Alejandro", "Daniela", "Héctor", "Lorena",
    "Hernán", "Mariana", "Joaquín", "Renata", "Matías", "Florencia", "Nicolás", "Guadalupe",
    "Diego", "Natalia", "Rubén", "Elena", "Francisco", "Teresa", "Álvaro", "Marta", "Efraín",
    "Azucena", "Germán", "Ángela", "Patricio", "Noemí", "Santiago", "Leticia", "Emilio", "Zoé",
)
COMPOUND_FIRST_NAMES = (
    "María José", "Juan Carlos", "José Luis", "María de los Ángeles", "Ana Belén",
    "Juan Pablo", "María Fernanda", "José Antonio", "Luz María", "Miguel Ángel",
)
SURNAMES = (
    "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
    "Romero", "Núñez", "Ibáñez", "Peña", "Castañeda", "Ordóñez", "Muñiz", "Yáñez", "Cortés",
    "Ramírez", "Torres", "Flores", "Rivera", "Vásquez", "Castillo", "Rojas", "Vargas", "Mendoza",
    "Gutiérrez", "Chávez", "Herrera", "Medina", "Aguilar", "Salazar", "Cárdenas", "Espinoza",
    "Zúñiga", "Villalobos", "Quiñones", "Echeverría", "Olmedo", "Belmonte", "Saldaña",
)
COMPOUND_SURNAMES = (
    "de la Fuente", "García-Pelayo", "del Río", "de la Cruz", "Fernández de Córdoba",
    "Ruiz-Tagle", "de los Santos", "Pérez-Reverte", "San Martín", "Martínez-Campos",
)
VERY_LONG_NAMES = (
    "María de los Ángeles Guadalupe Fernández de Córdoba y Álvarez de Toledo",
    "Juan Nepomuceno Cristóbal de la Santísima Trinidad Ordóñez-Castañeda Villalobos",
    "Ana Belén Concepción del Perpetuo Socorro Martínez-Campos de la Fuente y Núñez",
)

# Free-mail domains with a weight (per thousand contacts).
FREEMAIL = (
    ("gmail.com", 300), ("hotmail.com", 130), ("outlook.com", 60), ("yahoo.com", 45),
    ("hotmail.es", 30), ("yahoo.es", 20), ("yahoo.com.mx", 20), ("icloud.com", 20),
    ("live.com.mx", 12), ("prodigy.net.mx", 10), ("telefonica.net", 8), ("outlook.es", 15),
)
# Misspelt domains: mail to them bounces (no such host or no such mailbox).
TYPO_DOMAINS = ("gmial.com", "gmail.co", "hotmial.com", "hotmail.con", "yaho.com", "outlok.com")
TYPO_WEIGHT = 8
COMPANY_WORDS = (
    "andina", "sol", "pacifico", "austral", "norte", "andes", "plata", "maya", "azteca",
    "inca", "tierra", "mar", "sierra", "valle", "rio", "luna", "cielo", "roble", "olivo",
    "cafe", "cacao", "textil", "logistica", "salud", "seguros", "grupo", "comercial",
    "soluciones", "digital", "consultores", "distribuidora", "farmacia", "muebles", "viajes",
)
COMPANY_TLDS = ("com", "com.mx", "com.ar", "es", "cl", "com.co", "pe", "mx", "com.uy", "net")

MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "octubre", "noviembre", "diciembre",
)
CAMPAIGNS_PER_YEAR = 20
MONTH_THEMES = {
    1: ("Rebajas de enero", "Propósitos de año nuevo"),
    2: ("San Valentín: regalos para compartir", "Novedades de febrero"),
    3: ("Lanzamiento colección primavera", "Boletín de marzo"),
    4: ("Semana Santa: horarios y ofertas", "Encuesta anual de clientes"),
    5: ("Día de la Madre", "Hot Sale"),
    6: ("Día del Padre", "Boletín de junio"),
    7: ("Rebajas de verano", "Vacaciones de invierno"),
    8: ("Vuelta al cole", "Boletín de agosto"),
    9: ("Fiestas Patrias", "Campaña especial de fidelización para clientes premium de la región "
         "andina y Centroamérica, segunda oleada con descuentos exclusivos"),
    10: ("Boletín de octubre", "Halloween"),
    11: ("Buen Fin", "Black Friday", "Cyber Monday"),
    12: ("Navidad: ideas de regalo", "Fin de año"),
}

# (name, probability that a contact enters the flow, days between steps from the trigger)
FLOWS = (
    ("Bienvenida a nuevos contactos", 0.90, (0, 3, 7)),
    ("Carrito abandonado", 0.25, (0, 1)),
    ("Felicitación de cumpleaños", 0.80, (0,)),
    ("Reactivación de clientes inactivos", 0.30, (0, 10)),
    ("Encuesta de satisfacción", 0.35, (0,)),
    ("Recordatorio de renovación", 0.20, (0, 7)),
    ("Seguimiento posterior a la compra", 0.45, (0, 2, 15)),
    ("Recomendaciones personalizadas", 0.85, (0, 30, 60, 90, 120, 150)),
)

HARD_BOUNCES = (
    ("Mailbox does not exist",
     "550 5.1.1 The email account that you tried to reach does not exist. Please try "
     "double-checking the recipient's email address for typos or unnecessary spaces."),
    ("User unknown", "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"),
    ("Mailbox disabled", "550 5.2.1 The email account that you tried to reach is disabled."),
    ("Domain not found",
     "550 5.1.2 Host or domain name not found. Name service error: Host not found"),
)
SOFT_BOUNCES = (
    ("Mailbox full", "452 4.2.2 The email account that you tried to reach is over quota."),
    ("Deferred", "421 4.7.0 Try again later, closing connection."),
    ("Mailbox unavailable", "450 4.2.1 Mailbox temporarily unavailable, try again later"),
    ("Greylisted", "451 4.7.1 Greylisting in action, please come back later"),
)
